/**
 * A list the server returns whole (`GET /v2/keys`, `GET /v2/ips`): loaded on mount, reloaded after
 * every change made through `change`. Failures become error toasts and keep the rows shown.
 */
import { onMounted, ref, type Ref } from 'vue'
import { useNotify } from './useNotify'

export function useLoadedList<T>(fetch: () => Promise<T[]>) {
  const notify = useNotify()
  const list = ref([]) as Ref<T[]>
  const loading = ref(true)
  const changing = ref(false)
  async function load(): Promise<void> {
    await notify.run(loading, async () => {
      list.value = await fetch()
    })
  }
  onMounted(load)
  /** Runs one change (delete, unblock…); on success shows `okText` and reloads the list. */
  async function change(task: () => Promise<unknown>, okText: string): Promise<void> {
    if (await notify.run(changing, task, okText)) await load()
  }
  return { list, loading, load, change }
}
