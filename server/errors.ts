// The one error catalogue. Every error a client can see has a stable code (clients branch on it),
// an HTTP status and a bilingual message template (中文 first, then English; people read it).
// Templates use {name} placeholders filled from `params`.

export const ERRORS = {
  // requests
  CC_NOT_FOUND: { status: 404, zh: '找不到 {what}', en: '{whatEn} not found' },
  CC_BAD_REQUEST: { status: 400, zh: '请求无效：{reason}', en: 'Bad request: {reason}' },
  CC_BODY_TOO_LARGE: {
    status: 413,
    zh: '请求体超过上限 {limitMb} MB',
    en: 'The request body exceeds the limit of {limitMb} MB',
  },
  CC_MEDIA_TYPE: {
    status: 415,
    zh: '不支持的请求类型 {type}：上传请用 multipart/form-data，其他写操作用 application/json',
    en: 'Unsupported content type {type}: upload with multipart/form-data, send other writes as application/json',
  },
  CC_MULTIPART_INVALID: {
    status: 400,
    zh: 'multipart 请求体无法读取（被截断或分隔符不符）：{reason}',
    en: 'The multipart body cannot be read (cut off, or the boundary does not match): {reason}',
  },
  CC_YEAR_INVALID: {
    status: 400,
    zh: '体检年度 {year} 无效，应为 2000–2100 的整数',
    en: 'Inspection year {year} is invalid; use an integer 2000–2100',
  },
  CC_LAYER_UNKNOWN: {
    status: 404,
    zh: '图层 {layer} 不存在，可用图层：{layers}',
    en: 'Unknown layer {layer}; layers are: {layers}',
  },
  CC_AUTH_REQUIRED: {
    status: 401,
    zh: '需要上传令牌：请在 Authorization 头中发送 Bearer 令牌',
    en: 'An upload token is required: send it as Authorization: Bearer <token>',
  },
  CC_AUTH_INVALID: { status: 403, zh: '令牌无效或已吊销', en: 'The token is invalid or revoked' },
  CC_FORBIDDEN: { status: 403, zh: '角色 {role}（{name}）无权{actionZh}', en: 'Role {role} ({name}) may not {action}' },
  CC_CITY_FORBIDDEN: {
    status: 403,
    zh: '令牌 {name} 无权访问城市 {city}',
    en: 'Token {name} has no access to city {city}',
  },
  CC_ROLE_UNKNOWN: {
    status: 400,
    zh: '角色 {role} 不存在，可用角色：{roles}',
    en: 'Unknown role {role}; roles are: {roles}',
  },
  CC_CITY_INVALID: {
    status: 400,
    zh: '城市代码 {city} 无效，应为 6 位行政区划代码（如 320100）',
    en: 'City code {city} is invalid; use a 6-digit administrative code such as 320100',
  },
  CC_CITY_UNKNOWN: {
    status: 404,
    zh: '城市 {city} 不存在（GET /api/cities 列出已有城市）',
    en: 'City {city} does not exist (GET /api/cities lists them)',
  },
  CC_NO_CITY: {
    status: 404,
    zh: '还没有城市：请先用 npm run city -- add <代码> <名称> 或 POST /api/cities 添加',
    en: 'There is no city yet: add one with npm run city -- add <code> <name> or POST /api/cities',
  },
  CC_CITY_AMBIGUOUS: {
    status: 400,
    zh: '平台上有多个城市，请在路径中指明城市：/api/cities/<代码>/…（或设置 CITYCHECK_DEFAULT_CITY）',
    en: 'Several cities are hosted: name one in the path, /api/cities/<code>/… (or set CITYCHECK_DEFAULT_CITY)',
  },
  CC_CITY_EXISTS: { status: 409, zh: '城市 {city} 已存在', en: 'City {city} already exists' },
  CC_ARCHIVE_INVALID: {
    status: 400,
    zh: '城市数据包 {file} 无法读取：{reason}',
    en: 'City archive {file} cannot be read: {reason}',
  },
  CC_VERSION_NOT_FOUND: {
    status: 404,
    zh: '{year} 年度图层 {layer} 没有版本 {version}',
    en: 'Layer {layer} of {year} has no version {version}',
  },

  // upload envelope
  CC_NO_FILE: {
    status: 400,
    zh: '请求中没有 file 字段（multipart/form-data）',
    en: 'The request has no multipart "file" field',
  },
  CC_UPLOAD_TOO_LARGE: {
    status: 413,
    zh: '文件 {file} 超过上传上限 {limitMb} MB',
    en: 'File {file} exceeds the upload limit of {limitMb} MB',
  },
  CC_UNPACKED_TOO_LARGE: {
    status: 413,
    zh: '压缩包 {file} 解压后超过上限 {limitMb} MB（疑似压缩炸弹）',
    en: 'Archive {file} unpacks to more than {limitMb} MB (possible zip bomb)',
  },
  CC_TOO_MANY_FEATURES: {
    status: 413,
    zh: '文件 {file} 的要素数超过上限 {limit}',
    en: 'File {file} has more than {limit} features',
  },
  CC_OPTION_INVALID: { status: 400, zh: '参数 {option} 无效：{reason}', en: 'Option {option} is invalid: {reason}' },

  // file formats
  CC_FORMAT_UNKNOWN: {
    status: 415,
    zh: '无法识别文件 {file} 的格式，支持 GeoJSON、压缩的 Shapefile（.zip）、GeoPackage（.gpkg）和 CSV',
    en: 'Cannot tell the format of {file}; GeoJSON, zipped Shapefile (.zip), GeoPackage (.gpkg) and CSV are supported',
  },
  CC_FORMAT_NEEDS_GDAL: {
    status: 415,
    zh: '文件 {file} 是 {format}，需要服务器安装 GDAL（ogr2ogr）才能读取；也可先转为 GeoPackage、Shapefile 或 GeoJSON 再上传',
    en: 'File {file} is a {format}, which needs GDAL (ogr2ogr) on the server; or convert it to GeoPackage, Shapefile or GeoJSON first',
  },
  CC_PARSE_FAILED: {
    status: 400,
    zh: '文件 {file} 解析失败：{reason}',
    en: 'File {file} could not be parsed: {reason}',
  },
  CC_ZIP_INVALID: {
    status: 400,
    zh: '压缩包 {file} 无法读取：{reason}',
    en: 'Archive {file} cannot be read: {reason}',
  },
  CC_ZIP_NO_SHAPEFILE: {
    status: 400,
    zh: '压缩包 {file} 中没有 .shp 文件',
    en: 'Archive {file} contains no .shp file',
  },
  CC_ZIP_MANY_SHAPEFILES: {
    status: 400,
    zh: '压缩包 {file} 中有多个 .shp（{names}），请每次上传一个图层',
    en: 'Archive {file} holds several .shp files ({names}); upload one layer at a time',
  },
  CC_SHAPEFILE_PART_MISSING: {
    status: 400,
    zh: 'Shapefile {file} 缺少 {part} 文件',
    en: 'Shapefile {file} lacks its {part} file',
  },
  CC_ENCODING_UNSUPPORTED: {
    status: 400,
    zh: '不支持的字符编码 {encoding}',
    en: 'Unsupported text encoding {encoding}',
  },
  CC_ENCODING_INVALID: {
    status: 400,
    zh: '文件 {file} 不是有效的 {encoding} 文本',
    en: 'File {file} is not valid {encoding} text',
  },
  CC_EMPTY_LAYER: { status: 422, zh: '文件 {file} 中没有要素', en: 'File {file} contains no features' },
  CC_SHAPEFILE_MISMATCH: {
    status: 422,
    zh: 'Shapefile {file} 的 .shp 有 {shp} 个要素而 .dbf 有 {dbf} 条记录，两者应一一对应',
    en: 'Shapefile {file}: the .shp has {shp} shapes but the .dbf {dbf} records; they must match one to one',
  },

  // coordinates
  CC_CRS_UNSUPPORTED: {
    status: 422,
    zh: '文件 {file} 的坐标系 {crs} 不受支持：{reason}',
    en: 'File {file} uses CRS {crs}, which is not supported: {reason}',
  },
  CC_CRS_UNDETECTED: {
    status: 422,
    zh: '文件 {file} 的坐标无法确定坐标系：{hint}',
    en: 'Cannot tell the CRS of {file}: {hintEn}',
  },
  CC_COORDS_OUTSIDE_CHINA: {
    status: 422,
    zh: '文件 {file} 第 {feature} 个要素的坐标 ({x}, {y}) 按 {crs} 解释不在中国境内。{hint}',
    en: 'File {file}, feature {feature}: coordinate ({x}, {y}) read as {crs} is not in China. {hintEn}',
  },

  // validation (each also appears as an item in `issues`)
  CC_VALIDATION_FAILED: {
    status: 422,
    zh: '文件 {file} 未通过校验，共 {count} 个问题',
    en: 'File {file} failed validation with {count} issue(s)',
  },
  CC_FIELD_ABSENT: {
    status: 422,
    zh: '文件 {file} 没有必填字段 {field}（{zh}）；若字段名不同，请用 fields 参数映射',
    en: 'File {file} has no required field {field} ({zh}); if it has another name, map it with the fields option',
  },
  CC_FIELD_MISSING: {
    status: 422,
    zh: '文件 {file} 第 {feature} 个要素缺少必填字段 {field}',
    en: 'File {file}, feature {feature}: required field {field} is missing',
  },
  CC_FIELD_TYPE: {
    status: 422,
    zh: '文件 {file} 第 {feature} 个要素字段 {field} 的值 “{value}” 不是{expectedZh}',
    en: 'File {file}, feature {feature}: field {field} value "{value}" is not {expected}',
  },
  CC_FIELD_UNKNOWN_VALUE: {
    status: 422,
    zh: '文件 {file} 第 {feature} 个要素字段 {field} 的值 “{value}” 不在词表中（{allowed}）',
    en: 'File {file}, feature {feature}: field {field} value "{value}" is not in the vocabulary ({allowed})',
  },
  CC_FIELD_MAPPING: {
    status: 422,
    zh: '文件 {file} 中找不到字段映射指定的字段 {field}（文件字段：{available}）',
    en: 'File {file} has no field {field} named in the field mapping (fields present: {available})',
  },
  CC_GEOMETRY_TYPE: {
    status: 422,
    zh: '文件 {file} 第 {feature} 个要素的几何类型 {type} 不符合图层要求（{expected}）',
    en: 'File {file}, feature {feature}: geometry type {type} does not fit this layer ({expected})',
  },
  CC_GEOMETRY_EMPTY: {
    status: 422,
    zh: '文件 {file} 第 {feature} 个要素没有几何',
    en: 'File {file}, feature {feature} has no geometry',
  },
  CC_GEOMETRY_MALFORMED: {
    status: 422,
    zh: '文件 {file} 第 {feature} 个要素的几何无法读取：{reason}',
    en: 'File {file}, feature {feature}: the geometry cannot be read: {reasonEn}',
  },
  CC_COORDS_OUTSIDE_ZONE: {
    status: 422,
    zh: '文件 {file} 第 {feature} 个要素的横坐标 {x} 不在声明的 {crs} 的带内（{band}）。{hint}',
    en: 'File {file}, feature {feature}: easting {x} lies outside the zone of the declared {crs} ({band}). {hintEn}',
  },
  CC_FIELD_RANGE: {
    status: 422,
    zh: '文件 {file} 第 {feature} 个要素字段 {field} 的值 {value} 不合理（应在 {min}–{max} 之间）',
    en: 'File {file}, feature {feature}: field {field} value {value} is implausible (expected {min}–{max})',
  },
  CC_FIELD_CONTROL_CHAR: {
    status: 422,
    zh: '文件 {file} 第 {feature} 个要素字段 {field} 含有控制字符（如 NUL），请清理后再上传',
    en: 'File {file}, feature {feature}: field {field} contains control characters (such as NUL); clean them and upload again',
  },
  CC_CODES_GENERATED: {
    status: 200,
    zh: '文件 {file} 没有编码字段，已按要素序号生成编码',
    en: 'File {file} has no code field; codes were generated from the feature order',
  },
  CC_GEOMETRY_INVALID: {
    status: 422,
    zh: '文件 {file} 第 {feature} 个要素（编码 {featureCode}）几何无效：{reason}',
    en: 'File {file}, feature {feature} (code {featureCode}): invalid geometry: {reason}',
  },
  CC_DUPLICATE_CODE: {
    status: 422,
    zh: '文件 {file} 第 {feature} 个要素的编码 {featureCode} 与第 {other} 个要素重复',
    en: 'File {file}, feature {feature}: code {featureCode} duplicates feature {other}',
  },
  CC_COMMUNITY_OUTSIDE_STREET: {
    status: 422,
    zh: '文件 {file} 第 {feature} 个社区（编码 {featureCode}）不在任何街道范围内',
    en: 'File {file}, community {feature} (code {featureCode}) lies outside every street (街道)',
  },
  CC_COMMUNITY_OVERLAP: {
    status: 422,
    zh: '文件 {file} 第 {feature} 个社区（编码 {featureCode}）与第 {other} 个社区（编码 {otherCode}）重叠 {areaM2} m²',
    en: 'File {file}, community {feature} (code {featureCode}) overlaps community {other} (code {otherCode}) by {areaM2} m²',
  },

  // inspections
  CC_INSPECTION_COLUMNS: {
    status: 422,
    zh: '检查表 {file} 缺少{missingZh}列（可用列名：{names}；现有列：{available}）',
    en: 'Inspection table {file} has no {missing} column (accepted names: {names}; columns present: {available})',
  },
  CC_IMPORT_DECIDED: {
    status: 409,
    zh: '检查表导入 {id} 已{stateZh}，不能再更改',
    en: 'Inspection import {id} is already {state} and cannot be changed',
  },
  CC_PHOTO_INVALID: {
    status: 415,
    zh: '照片 {file} 不是可读取的 JPEG、PNG、WebP 或 HEIF 图像',
    en: 'Photo {file} is not a readable JPEG, PNG, WebP or HEIF image',
  },
  CC_PHOTO_TOO_LARGE: {
    status: 413,
    zh: '照片 {file} 超过 {limitMb} MB，或照片多于 {max} 张',
    en: 'Photo {file} exceeds {limitMb} MB, or there are more than {max} photos',
  },
  // department figures, the indicator system table, the 整改 loop
  CC_FIGURE_INVALID: {
    status: 422,
    zh: '{file}指标 {indicator}（{unit}）的 {field} 无效：{reasonZh}',
    en: '{fileEn}indicator {indicator} ({unit}): {field} is invalid: {reason}',
  },
  CC_FIGURE_STATE: {
    status: 409,
    zh: '指标 {indicator}（{unit}）当前为“{stateZh}”，不能{actionZh}',
    en: 'Indicator {indicator} ({unit}) is {state}; it cannot be {action}',
  },
  CC_NOT_YOUR_DEPARTMENT: {
    status: 403,
    zh: '{name} 属于“{department}”，此项的责任单位是“{owner}”',
    en: '{name} reports for {department}; the department responsible for this is {owner}',
  },
  CC_SYSTEM_TABLE_INVALID: {
    status: 422,
    zh: '指标体系表 {file} 第 {row} 行“{column}”列无效：{reasonZh}',
    en: 'Indicator system table {file}, row {row}, column {column}: {reason}',
  },
  CC_PROBLEM_TRANSITION: {
    status: 409,
    zh: '问题 {id} 当前为“{from}”，不能改为“{to}”：{reasonZh}',
    en: 'Problem {id} is {fromEn}; it cannot become {toEn}: {reason}',
  },
  CC_ATTACHMENT_INVALID: {
    status: 415,
    zh: '附件 {file} 不是允许的类型（PDF、图片、Word、Excel、CSV、文本）或超过 {limitMb} MB',
    en: 'Attachment {file} is not an allowed type (PDF, image, Word, Excel, CSV, text) or exceeds {limitMb} MB',
  },
  CC_RATE_LIMITED: {
    status: 429,
    zh: '请求过于频繁：{max} 次 / {window}，请 {after} 后再试',
    en: 'Too many requests: {max} per {window}; retry in {after}',
  },
  CC_DB_UNAVAILABLE: {
    status: 503,
    zh: '数据库暂时不可用，请稍后重试',
    en: 'The database is unavailable; retry shortly',
  },
  CC_INTERNAL: { status: 500, zh: '服务器内部错误', en: 'Internal server error' },
} as const satisfies Record<string, { status: number; zh: string; en: string }>

export type ErrorCode = keyof typeof ERRORS

export interface Issue {
  code: ErrorCode
  message: string
  file?: string
  feature?: number | string
  field?: string
  [k: string]: unknown
}

/**
 * A parameter as it may appear in a message: at most 200 characters (a 2 MB form field is not
 * echoed back), without NUL or other control characters (which PostgreSQL's jsonb refuses, and
 * which would make the failure itself unloggable).
 */
export function shown(v: unknown): string {
  const s = String(v).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\uFFFD')
  return s.length > 200 ? `${s.slice(0, 200)}…（${s.length} 字符 / chars）` : s
}

function fill(tpl: string, params: Record<string, unknown>): string {
  // {xEn} falls back to {x} where no English text of its own was given.
  const value = (k: string) => params[k] ?? (k.endsWith('En') ? params[k.slice(0, -2)] : undefined)
  return tpl.replace(/\{(\w+)\}/g, (_, k) => (value(k) === undefined ? `{${k}}` : shown(value(k))))
}

function parts(code: ErrorCode, params: Record<string, unknown>): [string, string] {
  const e = ERRORS[code]
  const p: Record<string, unknown> = { ...params }
  // A bilingual `what` ("指标 x / indicator x") goes half into each language, not whole into both.
  if (typeof p.what === 'string' && p.what.includes(' / ') && p.whatEn === undefined) {
    const i = p.what.indexOf(' / ')
    p.whatEn = p.what.slice(i + 3)
    p.what = p.what.slice(0, i)
  }
  return [fill(e.zh, p), fill(e.en, p)]
}

/** The bilingual message for a code: "中文 / English". */
export function message(code: ErrorCode, params: Record<string, unknown> = {}): string {
  return parts(code, params).join(' / ')
}

/** An issue (one problem with one feature) for validation reports and warnings. */
export function issue(code: ErrorCode, params: Record<string, unknown> = {}): Issue {
  const { file, feature, field } = params as { file?: string; feature?: number; field?: string }
  const extra: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(params))
    if (!['file', 'feature', 'field', 'code', 'message'].includes(k) && v !== undefined) extra[k] = v
  return {
    code,
    message: message(code, params),
    ...(file !== undefined && { file }),
    ...(feature !== undefined && { feature }),
    ...(field !== undefined && { field }),
    ...extra,
  }
}

export class AppError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly issues?: Issue[]
  readonly params: Record<string, unknown>
  constructor(code: ErrorCode, params: Record<string, unknown> = {}, issues?: Issue[]) {
    super(message(code, params))
    this.code = code
    this.statusCode = ERRORS[code].status
    this.params = params
    this.issues = issues
  }
  /** An error as a job stored it ({code, message}): the same code and status, its message as it was. */
  static from(e: { code?: string; message?: string } | null | undefined): AppError {
    const code = (e?.code && e.code in ERRORS ? e.code : 'CC_INTERNAL') as ErrorCode
    const err = new AppError(code)
    if (e?.message) err.message = e.message
    return err
  }

  toJSON() {
    const { file, feature, field } = this.params as Record<string, unknown>
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(file !== undefined && { file }),
        ...(feature !== undefined && { feature }),
        ...(field !== undefined && { field }),
        ...(this.issues && { issues: this.issues }),
      },
    }
  }
}

/** Several issues found while validating a file → one 422 whose code is the first issue's code. */
export function validationError(file: string, issues: Issue[], shown = 200): AppError {
  const first = issues[0]
  const [zh, en] = parts(first.code, first)
  const err = new AppError(first.code, { file, feature: first.feature, field: first.field }, issues.slice(0, shown))
  err.message =
    issues.length === 1
      ? `${zh} / ${en}`
      : `${zh}（共 ${issues.length} 个问题） / ${en} (${issues.length} issues in total)`
  return err
}
