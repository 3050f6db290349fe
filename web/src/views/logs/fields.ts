/** How a request-log row's HTTP status is shown (tag colour). Pure. */
export function statusType(s: number | undefined): 'success' | 'warning' | 'error' | 'default' {
  if (s === undefined) return 'default'
  if (s < 300) return 'success'
  if (s < 500 && s !== 429) return 'warning'
  return 'error'
}
