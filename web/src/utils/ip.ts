/**
 * Validation of an IPv4/IPv6 address or CIDR block for the block dialog (Security page). Pure.
 */

function isIpv4(s: string): boolean {
  const parts = s.split('.')
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255 && (p === '0' || !p.startsWith('0')))
}

function isIpv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false
  const double = s.split('::')
  if (double.length > 2) return false
  const groups = (x: string) => (x === '' ? [] : x.split(':'))
  let parts = [...groups(double[0] ?? ''), ...(double.length === 2 ? groups(double[1] ?? '') : [])]
  let max = 8
  const last = parts[parts.length - 1]
  if (last && last.includes('.')) {
    if (!isIpv4(last)) return false
    parts = parts.slice(0, -1)
    max = 6
  }
  if (!parts.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false
  return double.length === 2 ? parts.length < max : parts.length === max
}

/** True for a single address or a CIDR block (prefix within the family's range). */
export function isIpOrCidr(input: string): boolean {
  const s = input.trim()
  if (!s) return false
  const [addr, prefix, extra] = s.split('/')
  if (extra !== undefined || !addr) return false
  const v4 = isIpv4(addr)
  const v6 = !v4 && isIpv6(addr)
  if (!v4 && !v6) return false
  if (prefix === undefined) return true
  if (!/^\d{1,3}$/.test(prefix)) return false
  return Number(prefix) <= (v4 ? 32 : 128)
}
