/**
 * A server-paged list (`GET /v2/logs`, `GET /v2/audit`): the current page of rows, the total the
 * server reports, and the page / page-size changes that reload it.
 */
import { ref, type Ref } from 'vue'
import { useNotify } from './useNotify'

export function usePagedList<T>(fetch: (page: number, perPage: number) => Promise<{ rows: T[]; total: number }>) {
  const notify = useNotify()
  const rows = ref([]) as Ref<T[]>
  const total = ref(0)
  const page = ref(1)
  const perPage = ref(50)
  const loading = ref(false)
  async function load(): Promise<void> {
    await notify.run(loading, async () => {
      const r = await fetch(page.value, perPage.value)
      rows.value = r.rows
      total.value = r.total
    })
  }
  /** New filters: back to the first page. */
  function search(): void {
    page.value = 1
    void load()
  }
  function onPage(p: number): void {
    page.value = p
    void load()
  }
  function onPageSize(size: number): void {
    perPage.value = size
    search()
  }
  return { rows, total, page, perPage, loading, load, search, onPage, onPageSize }
}
