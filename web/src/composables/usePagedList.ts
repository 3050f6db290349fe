/**
 * A server-paged list (`GET /v2/logs`, `GET /v2/audit`): the current page of rows, the total the
 * server reports, and the page / page-size changes that reload it. `table` binds all of that to a
 * remote `NDataTable` (`v-bind="table"`), so each view only adds its columns and row key.
 */
import { computed, ref, type Ref } from 'vue'
import type { PaginationProps } from 'naive-ui'
import { useNotify } from './useNotify'

export function usePagedList<T>(
  fetch: (page: number, perPage: number) => Promise<{ rows: T[]; total: number }>,
  /** Pagination settings beyond page, size and count (size picker, prefix), read on every render. */
  extraPagination: () => Partial<PaginationProps> = () => ({}),
) {
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
  const table = computed(() => ({
    remote: true,
    data: rows.value,
    loading: loading.value,
    pagination: { page: page.value, pageSize: perPage.value, itemCount: total.value, ...extraPagination() },
    onUpdatePage: onPage,
    onUpdatePageSize: onPageSize,
  }))
  return { rows, total, page, perPage, loading, load, search, onPage, onPageSize, table }
}
