// Who may do what, as data. A token carries one role and either a list of cities or every city.
// Every route declares the right it needs (route config `right`); one hook checks it
// (server/cities/plugin.ts), so no route can forget. GET/HEAD routes need `read` unless they say
// otherwise, and `read` needs a token only in closed mode (CITYCHECK_READ_REQUIRES_TOKEN=1).

export const ROLES = ['admin', 'uploader', 'reporter', 'inspector', 'reviewer', 'viewer'] as const
export type Role = (typeof ROLES)[number]

export const RIGHTS = [
  'read', // data, results, tiles, maps
  'analysis:run', // siting and what-if: reads, but seconds of CPU each, so never anonymous
  'layers:write', // upload, restore a version
  'indicators:compute',
  'indicators:configure', // targets, parameters, local 特色 indicators
  'problems:review', // 问题清单 status, assignment, 销号 review
  'problems:rectify', // a department moving its own assigned problems (整改中, 申请销号 with evidence)
  'inspections:write', // 住房/小区 field records (issue: inspections)
  'figures:report', // 部门填报
  'figures:review',
  'cities:admin', // add/drop/export cities, tokens, audit log
] as const
export type Right = (typeof RIGHTS)[number]

const ALL: readonly Right[] = RIGHTS

export const ROLE_RIGHTS: Record<Role, readonly Right[]> = {
  admin: ALL,
  // 自然资源局: boundaries and layers, and the run that follows an upload.
  uploader: ['read', 'analysis:run', 'layers:write', 'indicators:compute'],
  // a department reporting its figures
  reporter: ['read', 'analysis:run', 'figures:report', 'problems:rectify'],
  // 街道/社区 staff recording inspections
  inspector: ['read', 'analysis:run', 'inspections:write'],
  // 城检办: reviews figures and problems, sets the year's indicator system, runs the computation
  reviewer: ['read', 'analysis:run', 'indicators:compute', 'indicators:configure', 'problems:review', 'figures:review'],
  viewer: ['read', 'analysis:run'],
}

export const ROLE_ZH: Record<Role, string> = {
  admin: '管理员',
  uploader: '数据上传（自然资源局）',
  reporter: '部门填报',
  inspector: '体检采集员',
  reviewer: '城检办审核',
  viewer: '只读',
}

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v)
}

export function roleHas(role: Role, right: Right): boolean {
  return ROLE_RIGHTS[role].includes(right)
}

/** Who is calling: a token's name, role and cities (null = every city). */
export interface Principal {
  name: string
  role: Role
  cities: string[] | null
  /** the 责任单位 a reporter token speaks for (null = none: it may not report or rectify) */
  department?: string | null
}

export function canAccessCity(p: Principal, city: string): boolean {
  return p.cities === null || p.cities.includes(city)
}
