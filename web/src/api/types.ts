/**
 * Shapes of the admin API (ADMIN_API.md). Every record and envelope is generated from the Rust
 * types the gateway serializes (./generated, `make ts-types`; `make test` fails when they drift);
 * this file only adds the few names and lists the console needs on top of them.
 */
import type { AccountStatus, DeviceLoginStatus, PublicSettings, RequestLog } from './generated'

export type * from './generated'

/** Every account status, in display order. */
export const ACCOUNT_STATUSES = ['active', 'cooling_down', 'exhausted', 'needs_login', 'banned', 'disabled'] as const satisfies readonly AccountStatus[]
// A status the gateway gains without being listed above fails the type check here.
const everyStatusListed: Exclude<AccountStatus, (typeof ACCOUNT_STATUSES)[number]> extends never ? true : false = true
void everyStatusListed

/** `DeviceLoginStatus.status`: the values the gateway documents for it. */
export type DeviceStatus = 'pending' | 'completed' | 'expired' | 'denied' | 'error'
/** `GET /v2/auth/status/:auth_id` with its status narrowed to the documented values. */
export type DeviceStatusResp = Omit<DeviceLoginStatus, 'status'> & { status: DeviceStatus }

/** `GET /v2/settings`. */
export type Settings = PublicSettings
/** `PUT /v2/settings`: any subset, plus the write-only admin password. */
export type SettingsUpdate = Partial<PublicSettings> & { adminPassword?: string }

/** One `GET /v2/logs` row (bodies only in `GET /v2/logs/:id`, while debugLog is on). */
export type LogRow = RequestLog
