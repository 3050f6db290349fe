/**
 * A page's data loaded on mount and again every `everyMs` while mounted. A quiet load (the timer,
 * a reload after an action) keeps what is on screen and shows no toast; `loading` is set only by
 * loads the operator asked for, `refreshing` by every load.
 */
import { onMounted, onUnmounted, ref } from 'vue'
import { useNotify } from './useNotify'

export function usePolling(fetch: () => Promise<void>, everyMs: number) {
  const notify = useNotify()
  const loading = ref(true)
  const refreshing = ref(false)
  const loadError = ref('')
  async function load(quiet = false): Promise<void> {
    if (!quiet) loading.value = true
    refreshing.value = true
    try {
      await fetch()
      loadError.value = ''
    } catch (e) {
      loadError.value = e instanceof Error ? e.message : String(e)
      if (!quiet) notify.error(e)
    } finally {
      loading.value = false
      refreshing.value = false
    }
  }
  let timer: ReturnType<typeof setInterval> | undefined
  onMounted(() => {
    void load()
    timer = setInterval(() => void load(true), everyMs)
  })
  onUnmounted(() => clearInterval(timer))
  return { loading, refreshing, loadError, load }
}
