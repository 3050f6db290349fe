/**
 * Toasts: errors show the API's message and code (`error.message` / `error.code`), successes
 * a short confirmation. Also `run`, the one way a view performs an admin call behind a busy flag,
 * and `confirmDanger`, the one confirmation dialog for destructive actions.
 */
import type { Ref } from 'vue'
import { useDialog, useMessage } from 'naive-ui'
import { useI18n } from 'vue-i18n'
import { ApiError } from '../api/client'

export function errorToast(e: unknown, networkText: string): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return `${networkText}: ${e.message}`
    return `${e.message} · ${e.code}`
  }
  if (e instanceof Error) return e.message
  return String(e)
}

export function useNotify() {
  const message = useMessage()
  const dialog = useDialog()
  const { t } = useI18n()
  const error = (e: unknown): void => {
    if (e instanceof DOMException && e.name === 'AbortError') return
    message.error(errorToast(e, t('common.networkError')), { duration: 7000, closable: true })
  }
  return {
    error,
    /**
     * Runs `task` with `busy` set meanwhile: a failure becomes an error toast, success shows
     * `okText` (if any). Resolves whether the task succeeded.
     */
    async run(busy: Ref<boolean>, task: () => Promise<unknown>, okText?: string): Promise<boolean> {
      busy.value = true
      try {
        await task()
        if (okText) message.success(okText)
        return true
      } catch (e) {
        error(e)
        return false
      } finally {
        busy.value = false
      }
    },
    ok(text: string): void {
      message.success(text)
    },
    info(text: string): void {
      message.info(text)
    },
    /** Resolves true when the operator confirms; `what` names what will be destroyed. */
    confirmDanger(title: string, what: string, action?: string): Promise<boolean> {
      return new Promise((resolve) => {
        const d = dialog.warning({
          title,
          content: what,
          positiveText: action ?? t('common.delete'),
          negativeText: t('common.cancel'),
          positiveButtonProps: { type: 'error', 'data-testid': 'confirm-ok' } as never,
          negativeButtonProps: { 'data-testid': 'confirm-cancel' } as never,
          onPositiveClick: () => resolve(true),
          onNegativeClick: () => resolve(false),
          onClose: () => resolve(false),
          onMaskClick: () => resolve(false),
        })
        void d
      })
    },
  }
}

/** Copies text to the clipboard; falls back to a hidden textarea on non-secure origins (plain HTTP). */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    /* fall through */
  }
  const ta = document.createElement('textarea')
  ta.value = text
  ta.setAttribute('readonly', '')
  ta.style.position = 'fixed'
  ta.style.opacity = '0'
  document.body.appendChild(ta)
  ta.select()
  let ok = false
  try {
    ok = document.execCommand('copy')
  } catch {
    ok = false
  }
  ta.remove()
  return ok
}
