/** The account status palette of CONSOLE_DESIGN.md, used everywhere the same way. */
import type { AccountStatus } from '../api/types'

export const STATUS_COLOR: Record<AccountStatus, string> = {
  active: '#18a058',
  cooling_down: '#f0a020',
  exhausted: '#8a5cf5',
  needs_login: '#2080f0',
  banned: '#d03050',
  disabled: '#8c8c94',
}

export function statusColor(s: string): string {
  return (STATUS_COLOR as Record<string, string>)[s] ?? '#8c8c94'
}
