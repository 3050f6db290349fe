/**
 * One card's part of `GET/PUT /v2/settings`: the form of the named settings, filled from the
 * server, their validation, and the diff that saving sends (only what changed).
 */
import { computed, onMounted, ref, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { settings as api } from '../../api/admin'
import type { Settings } from '../../api/types'
import { useNotify } from '../../composables/useNotify'
import { DEFAULTS, diffSettings, validateSettings, type SettingName } from './validate'

/** The form of settings `N`; numbers may be null while an input is cleared. */
export type SettingsForm<N extends SettingName> = { [K in N]: Settings[K] extends number ? number | null : Settings[K] }

function pick<N extends SettingName>(s: Settings, names: readonly N[]): SettingsForm<N> {
  return Object.fromEntries(names.map((n) => [n, s[n]])) as SettingsForm<N>
}

export function useSettingsForm<N extends SettingName>(names: readonly N[]) {
  const { t } = useI18n()
  const notify = useNotify()
  const server = ref<Settings | null>(null)
  const form = ref(pick(DEFAULTS, names)) as Ref<SettingsForm<N>>
  const saving = ref(false)
  const loadError = ref('')
  // A cleared number input is invalid, not "unchanged".
  const asSettings = computed(() => Object.fromEntries(Object.entries(form.value).map(([k, v]) => [k, v === null ? NaN : v])) as Partial<Settings>)
  const errs = computed(() => validateSettings(asSettings.value))
  const changes = computed(() => (server.value ? diffSettings(server.value, asSettings.value, names) : {}))
  /** Something changed and all of it is valid. */
  const canSave = computed(() => Object.keys(changes.value).length > 0 && !Object.keys(errs.value).length)

  async function load() {
    try {
      const s = await api.get()
      server.value = s
      form.value = pick(s, names)
      loadError.value = ''
    } catch (e) {
      loadError.value = e instanceof Error ? e.message : String(e)
      notify.error(e)
    }
  }
  onMounted(load)

  async function save() {
    if (!canSave.value) return
    if (await notify.run(saving, () => api.put(changes.value), t('common.saved'))) await load()
  }

  return { server, form, saving, loadError, errs, changes, canSave, save }
}
