// The bad-input corpus: files and requests a tired 自然资源局 clerk or an attacker would send, each
// generated here. Every one must be refused with a 4xx, a stable CC_ code, a message in 中文 then
// English naming the file (and the feature and field where there is one), the earlier data
// unchanged, and the server alive. A few that look odd but are fine must be accepted.
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { AUTH, useTestApp } from './helpers/app.ts'
import { geojson, ll, pointF, polygonF, rect, shapefileParts, zip, PRJ_GK_CM117, type F } from './helpers/fixtures.ts'
import iconv from 'iconv-lite'
import { zipSync } from 'fflate'

interface Case {
  name: string
  layer?: string
  year?: string
  file?: Buffer
  fileName?: string
  fields?: Record<string, string>
  /** the refusal's code; the status must be a 4xx */
  code: string | RegExp
  feature?: number
  field?: string
  /** the message names the file (true unless the problem is not about the file) */
  namesFile?: boolean
}

const bld = (i: number, props: Record<string, unknown> = {}) =>
  polygonF(rect(i * 30, 0, i * 30 + 20, 20), { code: `B${i}`, use: '住宅', floors: 6, ...props })
const gj = (features: unknown[]) => Buffer.from(JSON.stringify({ type: 'FeatureCollection', features }))
const feat = (geometry: unknown, properties: Record<string, unknown> = { code: 'X', use: '住宅' }) => ({
  type: 'Feature',
  geometry,
  properties,
})
const goodF = (n = 3) =>
  Array.from({ length: n }, (_, i) => ({
    type: 'Feature',
    ...pointF(ll(i * 30, 0), { code: `F${i}`, type: '幼儿园' }),
  }))
const good = (n = 3) => Array.from({ length: n }, (_, i) => ({ type: 'Feature', ...bld(i) }))
// Nested arrays thousands deep, written as text (JSON.stringify itself would overflow the stack).
const DEEP = '__DEEP__'
const deepText = (n: number) => '['.repeat(n) + '117.2,31.8' + ']'.repeat(n)
const withDeep = (b: Buffer, n: number) => Buffer.from(b.toString().replace(`"${DEEP}"`, deepText(n)))
const shp = (features: F[], extra: Partial<Parameters<typeof shapefileParts>[0]> = {}) =>
  shapefileParts({
    features,
    fields: [
      { name: 'CODE', type: 'C', length: 10 },
      { name: 'NAME', type: 'C', length: 20 },
    ],
    ...extra,
  })

function cases(): Case[] {
  const c: Case[] = []
  const g = (name: string, features: unknown[], code: Case['code'], more: Partial<Case> = {}) =>
    c.push({ name, layer: 'buildings', file: gj(features), fileName: `${name}.geojson`, code, ...more })

  // ---- geometry, one bad feature among good ones ----
  g(
    'point-null-coordinates',
    [...goodF(), feat({ type: 'Point', coordinates: null }, { code: 'X', type: '幼儿园' })],
    'CC_GEOMETRY_MALFORMED',
    { layer: 'facilities', feature: 4, field: 'geometry' },
  )
  g('polygon-without-coordinates', [...good(), feat({ type: 'Polygon' })], 'CC_GEOMETRY_MALFORMED', {
    feature: 4,
    field: 'geometry',
  })
  g(
    'geometry-without-type',
    [...good(), feat({ coordinates: [[ll(0, 0), ll(1, 0), ll(1, 1), ll(0, 0)]] })],
    'CC_GEOMETRY_MALFORMED',
    { feature: 4 },
  )
  g(
    'unknown-geometry-type',
    [...good(), feat({ type: 'Circle', coordinates: [117, 31], radius: 5 })],
    'CC_GEOMETRY_MALFORMED',
    { feature: 4 },
  )
  c.push({
    name: 'deeply-nested-coordinates',
    layer: 'buildings',
    file: withDeep(gj([...good(), feat({ type: 'Polygon', coordinates: DEEP })]), 20000),
    fileName: 'deep.geojson',
    code: 'CC_GEOMETRY_MALFORMED',
    feature: 4,
  })
  g(
    'nested-one-level-too-deep',
    [...good(), feat({ type: 'Polygon', coordinates: [[rect(0, 0, 5, 5)]] })],
    'CC_GEOMETRY_MALFORMED',
    { feature: 4 },
  )
  g(
    'ring-of-three-points',
    [...good(), feat({ type: 'Polygon', coordinates: [[ll(0, 0), ll(5, 0), ll(0, 0)]] })],
    'CC_GEOMETRY_MALFORMED',
    { feature: 4 },
  )
  g(
    'unclosed-ring',
    [...good(), feat({ type: 'Polygon', coordinates: [[ll(0, 0), ll(5, 0), ll(5, 5), ll(0, 5)]] })],
    'CC_GEOMETRY_MALFORMED',
    { feature: 4 },
  )
  g(
    'string-coordinates',
    [...goodF(), feat({ type: 'Point', coordinates: ['117.2', '31.8'] }, { code: 'X', type: '幼儿园' })],
    'CC_GEOMETRY_MALFORMED',
    { layer: 'facilities', feature: 4 },
  )
  g(
    'null-in-coordinates',
    [...good(), feat({ type: 'Polygon', coordinates: [[ll(0, 0), [null, 31.8], ll(5, 5), ll(0, 0)]] })],
    'CC_GEOMETRY_MALFORMED',
    { feature: 4 },
  )
  g(
    'one-number-position',
    [...good(), feat({ type: 'Polygon', coordinates: [[[117.2], ll(5, 0), ll(5, 5), [117.2]]] })],
    'CC_GEOMETRY_MALFORMED',
    { feature: 4 },
  )
  g('empty-coordinates', [...good(), feat({ type: 'Polygon', coordinates: [] })], /CC_GEOMETRY_(EMPTY|MALFORMED)/, {
    feature: 4,
  })
  g(
    'empty-multipolygon-member',
    [...good(), feat({ type: 'MultiPolygon', coordinates: [[]] })],
    /CC_GEOMETRY_(EMPTY|MALFORMED)/,
    { feature: 4 },
  )
  g('null-geometry', [...good(), feat(null)], 'CC_GEOMETRY_EMPTY', { feature: 4 })
  g('point-in-building-layer', [...good(), feat({ type: 'Point', coordinates: ll(0, 0) })], 'CC_GEOMETRY_TYPE', {
    feature: 4,
  })
  g(
    'linestring-in-building-layer',
    [...good(), feat({ type: 'LineString', coordinates: [ll(0, 0), ll(5, 5)] })],
    'CC_GEOMETRY_TYPE',
    { feature: 4 },
  )
  g(
    'geometry-collection',
    [...good(), feat({ type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: ll(0, 0) }] })],
    'CC_GEOMETRY_TYPE',
    { feature: 4 },
  )
  g('all-geometries-null', [feat(null), feat(null)], 'CC_GEOMETRY_EMPTY', { feature: 1 })
  g(
    'self-intersecting-bowtie',
    [
      ...good(),
      feat(
        { type: 'Polygon', coordinates: [[ll(0, 0), ll(10, 10), ll(10, 0), ll(0, 10), ll(0, 0)]] },
        { code: 'BOW', use: '住宅' },
      ),
    ],
    'CC_GEOMETRY_INVALID',
    { feature: 4 },
  )
  g(
    'huge-coordinate',
    [...goodF(), feat({ type: 'Point', coordinates: [1e300, 1e300] }, { code: 'X', type: '幼儿园' })],
    /CC_COORDS_OUTSIDE_CHINA|CC_CRS_UNDETECTED/,
    { layer: 'facilities', feature: 4 },
  )
  g(
    'one-wild-feature',
    [
      ...good(20),
      feat(
        {
          type: 'Polygon',
          coordinates: [
            [
              [2.35, 48.85],
              [2.36, 48.85],
              [2.36, 48.86],
              [2.35, 48.85],
            ],
          ],
        },
        { code: 'PARIS', use: '住宅' },
      ),
    ],
    'CC_COORDS_OUTSIDE_CHINA',
    { feature: 21 },
  )
  g(
    'europe',
    good().map((f) => ({
      ...f,
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [2.35, 48.85],
            [2.36, 48.85],
            [2.36, 48.86],
            [2.35, 48.85],
          ],
        ],
      },
    })),
    /CC_CRS_UNDETECTED|CC_COORDS_OUTSIDE_CHINA/,
  )
  g(
    'lat-lon-swapped',
    good().map((f) => ({
      ...f,
      geometry: {
        type: 'Polygon',
        coordinates: [(f.geometry as { coordinates: number[][][] }).coordinates[0].map(([x, y]) => [y, x])],
      },
    })),
    'CC_CRS_UNDETECTED',
  )

  // ---- JSON and format ----
  const raw = (
    name: string,
    body: Buffer | string,
    code: Case['code'],
    fileName = `${name}.geojson`,
    more: Partial<Case> = {},
  ) => c.push({ name, layer: 'buildings', file: Buffer.from(body), fileName, code, ...more })
  raw('truncated-json', gj(good()).subarray(0, 200), 'CC_PARSE_FAILED')
  raw('trailing-garbage', Buffer.concat([gj(good()), Buffer.from('}}}')]), 'CC_PARSE_FAILED')
  raw('empty-file', '', /CC_PARSE_FAILED|CC_FORMAT_UNKNOWN/)
  raw('only-whitespace', '   \n\t  ', /CC_PARSE_FAILED|CC_FORMAT_UNKNOWN/)
  raw('json-array', '[1,2,3]', 'CC_PARSE_FAILED')
  raw('json-string', '"FeatureCollection"', 'CC_PARSE_FAILED')
  raw('features-not-array', '{"type":"FeatureCollection","features":{"a":1}}', 'CC_PARSE_FAILED')
  raw('empty-collection', '{"type":"FeatureCollection","features":[]}', 'CC_EMPTY_LAYER')
  raw(
    'feature-is-null',
    JSON.stringify({ type: 'FeatureCollection', features: [null, ...good()] }),
    'CC_GEOMETRY_EMPTY',
    undefined,
    { feature: 1 },
  )
  raw(
    'binary-noise',
    Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256)),
    /CC_FORMAT_UNKNOWN|CC_PARSE_FAILED/,
    'noise.bin',
  )
  raw(
    'pdf-renamed',
    Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(500, 0x41)]),
    /CC_FORMAT_UNKNOWN|CC_PARSE_FAILED/,
    'report.pdf',
  )
  raw('xml-as-geojson', '<?xml version="1.0"?><kml></kml>', 'CC_PARSE_FAILED')
  raw(
    'deep-properties',
    withDeep(gj([{ ...good(1)[0], properties: { code: 'D', use: '住宅', nest: DEEP } }]), 5000),
    'CC_FIELD_TYPE',
    undefined,
    { feature: 1, field: 'nest' },
  )

  // ---- encodings and control characters ----
  raw(
    'declared-utf8-but-gbk',
    iconv.encode(
      JSON.stringify({
        type: 'FeatureCollection',
        features: [{ ...good(1)[0], properties: { code: 'G', name: '中关村' } }],
      }),
      'gbk',
    ),
    'CC_ENCODING_INVALID',
    undefined,
    { fields: { encoding: 'UTF-8' }, field: 'encoding' },
  )
  raw('unknown-encoding', gj(good()), 'CC_ENCODING_UNSUPPORTED', undefined, {
    fields: { encoding: 'klingon-8' },
    namesFile: false,
  })
  raw(
    'nul-in-name',
    gj([{ ...good(1)[0], properties: { code: 'N', name: 'a\u0000b', use: '住宅' } }]),
    'CC_FIELD_CONTROL_CHAR',
    undefined,
    { feature: 1, field: 'name' },
  )
  raw(
    'nul-in-attribute',
    gj([{ ...good(1)[0], properties: { code: 'N', use: '住宅', 备注: 'x\u0000' } }]),
    'CC_FIELD_CONTROL_CHAR',
    undefined,
    { feature: 1, field: '备注' },
  )
  raw(
    'nul-in-attribute-name',
    gj([{ ...good(1)[0], properties: { code: 'N', use: '住宅', 'a\u0000b': 'x' } }]),
    'CC_FIELD_CONTROL_CHAR',
    undefined,
    { feature: 1 },
  )
  raw(
    'control-char-in-code',
    gj([{ ...good(1)[0], properties: { code: 'N\u0001', use: '住宅' } }]),
    'CC_FIELD_CONTROL_CHAR',
    undefined,
    { feature: 1, field: 'code' },
  )
  raw(
    'nul-in-nested-attribute',
    gj([{ ...good(1)[0], properties: { code: 'N', use: '住宅', extra: { a: 'x\u0000' } } }]),
    'CC_FIELD_CONTROL_CHAR',
    undefined,
    { feature: 1, field: 'extra' },
  )

  // ---- values ----
  g(
    'built-year-3000000000',
    [...good(), { type: 'Feature', ...bld(9, { built_year: 3000000000 }) }],
    /CC_FIELD_(TYPE|RANGE)/,
    { feature: 4, field: 'built_year' },
  )
  g('built-year-in-future', [...good(), { type: 'Feature', ...bld(9, { built_year: 2999 }) }], 'CC_FIELD_RANGE', {
    feature: 4,
    field: 'built_year',
  })
  g('negative-floors', [...good(), { type: 'Feature', ...bld(9, { floors: -3 }) }], 'CC_FIELD_RANGE', {
    feature: 4,
    field: 'floors',
  })
  g('negative-height', [...good(), { type: 'Feature', ...bld(9, { height: -10 }) }], 'CC_FIELD_RANGE', {
    feature: 4,
    field: 'height',
  })
  g('million-floors', [...good(), { type: 'Feature', ...bld(9, { floors: 1000000 }) }], 'CC_FIELD_RANGE', {
    feature: 4,
    field: 'floors',
  })
  g('floors-text', [...good(), { type: 'Feature', ...bld(9, { floors: '很高' }) }], 'CC_FIELD_TYPE', {
    feature: 4,
    field: 'floors',
  })
  g('residential-maybe', [...good(), { type: 'Feature', ...bld(9, { residential: '也许' }) }], 'CC_FIELD_TYPE', {
    feature: 4,
    field: 'residential',
  })
  g('negative-residents', [...good(), { type: 'Feature', ...bld(9, { residents: -5 }) }], 'CC_FIELD_RANGE', {
    feature: 4,
    field: 'residents',
  })
  g('duplicate-code', [...good(), { type: 'Feature', ...bld(9, { code: 'B0' }) }], 'CC_DUPLICATE_CODE', { feature: 4 })
  g('missing-code-in-one', [...good(), { type: 'Feature', ...bld(9, { code: null }) }], 'CC_FIELD_MISSING', {
    feature: 4,
  })
  c.push({
    name: 'facility-type-unknown',
    layer: 'facilities',
    file: geojson([pointF(ll(0, 0), { type: '幼儿园' }), pointF(ll(5, 5), { type: '火箭发射场' })]),
    fileName: 'f.geojson',
    code: 'CC_FIELD_UNKNOWN_VALUE',
    feature: 2,
    field: 'type',
  })
  c.push({
    name: 'facility-type-missing',
    layer: 'facilities',
    file: geojson([pointF(ll(0, 0), { name: 'x' })]),
    fileName: 'f.geojson',
    code: 'CC_FIELD_ABSENT',
    field: 'type',
  })
  c.push({
    name: 'jobs-count-negative',
    layer: 'jobs',
    file: geojson([pointF(ll(0, 0), { jobs: -100 })]),
    fileName: 'j.geojson',
    code: 'CC_FIELD_RANGE',
    feature: 1,
    field: 'jobs',
  })
  c.push({
    name: 'population-text',
    layer: 'streets',
    file: geojson([polygonF(rect(0, 0, 100, 100), { code: 'S', population: '很多' })]),
    fileName: 's.geojson',
    code: 'CC_FIELD_TYPE',
    feature: 1,
    field: 'population',
  })
  c.push({
    name: 'population-negative',
    layer: 'streets',
    file: geojson([polygonF(rect(0, 0, 100, 100), { code: 'S', population: -1 })]),
    fileName: 's.geojson',
    code: 'CC_FIELD_RANGE',
    feature: 1,
    field: 'population',
  })

  // ---- coordinate reference systems ----
  c.push({
    name: 'crs-unknown-epsg',
    layer: 'buildings',
    file: gj(good()),
    fileName: 'b.geojson',
    fields: { crs: 'EPSG:9999' },
    code: 'CC_CRS_UNSUPPORTED',
    field: 'crs',
  })
  c.push({
    name: 'crs-garbage',
    layer: 'buildings',
    file: gj(good()),
    fileName: 'b.geojson',
    fields: { crs: 'my own crs' },
    code: 'CC_CRS_UNSUPPORTED',
    field: 'crs',
  })
  c.push({
    name: 'crs-beijing54',
    layer: 'buildings',
    file: gj(good()),
    fileName: 'b.geojson',
    fields: { crs: 'EPSG:2435' },
    code: 'CC_CRS_UNSUPPORTED',
    field: 'crs',
  })
  const gk = (x0: number) =>
    gj(
      [0, 1, 2].map((i) =>
        feat(
          {
            type: 'Polygon',
            coordinates: [
              [
                [x0 + i * 30, 3520000],
                [x0 + i * 30 + 20, 3520000],
                [x0 + i * 30 + 20, 3520020],
                [x0 + i * 30, 3520000],
              ],
            ],
          },
          { code: `G${i}` },
        ),
      ),
    )
  c.push({
    name: 'gk-zone-39-declared-38',
    layer: 'buildings',
    file: gk(39_500_000),
    fileName: 'gk.geojson',
    fields: { crs: 'EPSG:4526' },
    code: 'CC_COORDS_OUTSIDE_ZONE',
    feature: 1,
    field: 'crs',
  })
  c.push({
    name: 'gk-no-prefix-outside-band',
    layer: 'buildings',
    file: gk(1_500_000),
    fileName: 'gk.geojson',
    fields: { crs: 'EPSG:4548' },
    code: 'CC_COORDS_OUTSIDE_ZONE',
    feature: 1,
  })
  c.push({
    name: 'gk-undeclared-no-prefix',
    layer: 'buildings',
    file: gk(500_000),
    fileName: 'gk.geojson',
    code: 'CC_CRS_UNDETECTED',
    field: 'crs',
  })
  c.push({
    name: 'mercator-declared-4326',
    layer: 'buildings',
    file: gk(13_046_000),
    fileName: 'm.geojson',
    fields: { crs: 'EPSG:4326' },
    code: 'CC_COORDS_OUTSIDE_CHINA',
    feature: 1,
  })
  c.push({
    name: 'geojson-crs-member-bad',
    layer: 'buildings',
    file: Buffer.from(
      JSON.stringify({
        type: 'FeatureCollection',
        crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::9999' } },
        features: good(),
      }),
    ),
    fileName: 'b.geojson',
    code: 'CC_CRS_UNSUPPORTED',
  })

  // ---- Shapefiles and zips ----
  const sq = (i: number): F => polygonF(rect(i * 30, 0, i * 30 + 20, 20), { CODE: `S${i}`, NAME: `楼${i}` })
  const parts = shp([sq(0), sq(1)])
  const z = (name: string, files: Record<string, Uint8Array>, code: Case['code'], more: Partial<Case> = {}) =>
    c.push({ name, layer: 'buildings', file: zip(files), fileName: `${name}.zip`, code, ...more })
  const named = (p: Record<string, Uint8Array>, base: string) =>
    Object.fromEntries(Object.entries(p).map(([k, v]) => [k.replace(/^[^.]+/, base), v]))
  z('zip-without-shapefile', { 'readme.txt.doc': Buffer.from('hello') }, 'CC_ZIP_NO_SHAPEFILE')
  z('zip-two-shapefiles', { ...named(parts, 'a'), ...named(parts, 'b') }, 'CC_ZIP_MANY_SHAPEFILES')
  z(
    'shapefile-without-dbf',
    Object.fromEntries(Object.entries(named(parts, 'a')).filter(([k]) => !k.endsWith('.dbf'))),
    'CC_SHAPEFILE_PART_MISSING',
  )
  z('garbage-shp', { ...named(parts, 'a'), 'a.shp': Buffer.alloc(300, 0x33) }, 'CC_PARSE_FAILED')
  z(
    'truncated-shp',
    { ...named(parts, 'a'), 'a.shp': Buffer.from(named(parts, 'a')['a.shp']).subarray(0, 120) },
    /CC_PARSE_FAILED|CC_SHAPEFILE_MISMATCH/,
  )
  z(
    'dbf-record-count-mismatch',
    { ...named(shp([sq(0), sq(1), sq(2)]), 'a'), 'a.dbf': named(parts, 'a')['a.dbf'] },
    'CC_SHAPEFILE_MISMATCH',
  )
  z('dbf-too-short', { ...named(parts, 'a'), 'a.dbf': Buffer.alloc(10) }, 'CC_PARSE_FAILED')
  z(
    'cpg-says-utf8-but-gbk',
    named(
      shp([polygonF(rect(0, 0, 20, 20), { CODE: 'S0', NAME: '中关村街道' })], { encoding: 'gbk', cpg: 'UTF-8' }),
      'a',
    ),
    'CC_ENCODING_INVALID',
  )
  z(
    'prj-beijing54',
    named(
      shp([sq(0)], {
        prj: 'GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]',
      }),
      'a',
    ),
    'CC_CRS_UNSUPPORTED',
  )
  z(
    'prj-gk-but-lonlat',
    named(shp([sq(0), sq(1)], { prj: PRJ_GK_CM117 }), 'a'),
    /CC_COORDS_OUTSIDE_ZONE|CC_COORDS_OUTSIDE_CHINA/,
  )
  c.push({
    name: 'corrupt-zip',
    layer: 'buildings',
    file: Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(200, 0x11)]),
    fileName: 'c.zip',
    code: 'CC_ZIP_INVALID',
  })
  c.push({
    name: 'zip-bomb-ratio',
    layer: 'buildings',
    file: Buffer.from(zipSync({ 'a.geojson': new Uint8Array(20 * 1024 * 1024) }, { level: 9 })),
    fileName: 'bomb.zip',
    code: 'CC_UNPACKED_TOO_LARGE',
  })
  c.push({
    name: 'zip-path-traversal',
    layer: 'buildings',
    file: zip({ '../../../etc/evil.txt.doc': Buffer.from('x') }),
    fileName: 'evil.zip',
    code: /CC_ZIP_NO_SHAPEFILE|CC_ZIP_INVALID/,
  })
  z('zip-with-two-geojson', { 'a.geojson': gj(good()), 'b.geojson': gj(good()) }, 'CC_ZIP_NO_SHAPEFILE')

  // ---- CSV ----
  const csv = (name: string, text: string, code: Case['code'], more: Partial<Case> = {}) =>
    c.push({ name, layer: 'facilities', file: Buffer.from(text), fileName: `${name}.csv`, code, ...more })
  csv('csv-no-coordinates', 'name,type\n甲,幼儿园\n', /CC_GEOMETRY_EMPTY|CC_FIELD_MISSING|CC_PARSE_FAILED/)
  csv(
    'csv-text-lon',
    'lon,lat,type\n东经117度,31.8,幼儿园\n117.2,31.8,幼儿园\n',
    /CC_GEOMETRY_EMPTY|CC_GEOMETRY_MALFORMED|CC_FIELD_TYPE|CC_PARSE_FAILED/,
    { feature: 1 },
  )
  csv(
    'csv-unclosed-quote',
    'lon,lat,type,name\n117.2,31.8,幼儿园,"未闭合\n117.3,31.8,幼儿园,b\n',
    /CC_PARSE_FAILED|CC_GEOMETRY_EMPTY/,
  )
  csv('csv-header-only', 'lon,lat,type\n', 'CC_EMPTY_LAYER')
  csv('csv-empty', '', /CC_EMPTY_LAYER|CC_FORMAT_UNKNOWN|CC_PARSE_FAILED/)
  csv(
    'csv-bad-wkt',
    'wkt,type\n"POINT(117.2 abc)",幼儿园\n',
    /CC_GEOMETRY_EMPTY|CC_GEOMETRY_MALFORMED|CC_PARSE_FAILED/,
    { feature: 1 },
  )
  csv(
    'csv-wkt-unknown',
    'wkt,type\n"CIRCLE(117.2 31.8, 5)",幼儿园\n',
    /CC_GEOMETRY_EMPTY|CC_GEOMETRY_MALFORMED|CC_PARSE_FAILED/,
    { feature: 1 },
  )
  csv('csv-nul', 'lon,lat,type,name\n117.2,31.8,幼儿园,a\u0000b\n', 'CC_FIELD_CONTROL_CHAR', {
    feature: 1,
    field: 'name',
  })

  // ---- the request around the file ----
  c.push({
    name: 'unknown-layer',
    layer: 'roads-and-rivers',
    file: gj(good()),
    fileName: 'b.geojson',
    code: 'CC_LAYER_UNKNOWN',
    field: 'layer',
    namesFile: false,
  })
  c.push({
    name: 'year-abc',
    year: 'abc',
    layer: 'buildings',
    file: gj(good()),
    fileName: 'b.geojson',
    code: 'CC_YEAR_INVALID',
    field: 'year',
    namesFile: false,
  })
  c.push({
    name: 'year-1800',
    year: '1800',
    layer: 'buildings',
    file: gj(good()),
    fileName: 'b.geojson',
    code: 'CC_YEAR_INVALID',
    namesFile: false,
  })
  c.push({
    name: 'year-huge',
    year: '99999999999999999999',
    layer: 'buildings',
    file: gj(good()),
    fileName: 'b.geojson',
    code: 'CC_YEAR_INVALID',
    namesFile: false,
  })
  c.push({
    name: 'no-file-part',
    layer: 'buildings',
    fields: { crs: 'EPSG:4490' },
    code: 'CC_NO_FILE',
    namesFile: false,
  })
  c.push({
    name: 'on-invalid-maybe',
    layer: 'buildings',
    file: gj(good()),
    fileName: 'b.geojson',
    fields: { onInvalid: 'maybe' },
    code: 'CC_OPTION_INVALID',
    field: 'onInvalid',
    namesFile: false,
  })
  c.push({
    name: 'fields-not-json',
    layer: 'buildings',
    file: gj(good()),
    fileName: 'b.geojson',
    fields: { fields: '{code: SQDM' },
    code: 'CC_OPTION_INVALID',
    field: 'fields',
    namesFile: false,
  })
  c.push({
    name: 'fields-array',
    layer: 'buildings',
    file: gj(good()),
    fileName: 'b.geojson',
    fields: { fields: '["code"]' },
    code: 'CC_OPTION_INVALID',
    field: 'fields',
    namesFile: false,
  })
  c.push({
    name: 'fields-maps-missing-attribute',
    layer: 'buildings',
    file: gj(good()),
    fileName: 'b.geojson',
    fields: { fields: '{"floors":"CS"}' },
    code: 'CC_FIELD_MAPPING',
    field: 'CS',
  })
  c.push({
    name: 'fields-unknown-canonical',
    layer: 'buildings',
    file: gj(good()),
    fileName: 'b.geojson',
    fields: { fields: '{"colour":"use"}' },
    code: 'CC_OPTION_INVALID',
    namesFile: false,
  })
  c.push({
    name: 'types-not-object',
    layer: 'facilities',
    file: geojson([pointF(ll(0, 0), { type: '幼儿园' })]),
    fileName: 'f.geojson',
    fields: { types: '"幼儿园"' },
    code: 'CC_OPTION_INVALID',
    field: 'types',
    namesFile: false,
  })
  c.push({
    name: 'form-field-2mb',
    layer: 'buildings',
    file: gj(good()),
    fileName: 'b.geojson',
    fields: { crs: 'E'.repeat(2 * 1024 * 1024) },
    code: 'CC_OPTION_INVALID',
    field: 'crs',
    namesFile: false,
  })
  c.push({
    name: 'nul-in-form-field',
    layer: 'buildings',
    file: gj(good()),
    fileName: 'b.geojson',
    fields: { crs: 'EPSG:4490\u0000' },
    code: 'CC_OPTION_INVALID',
    field: 'crs',
    namesFile: false,
  })
  c.push({
    name: 'nul-in-file-name',
    layer: 'buildings',
    file: gj([...good(), feat(null)]),
    fileName: 'bad\u0001name.geojson',
    code: 'CC_GEOMETRY_EMPTY',
    namesFile: false,
  })
  return c
}

describe('the bad-input corpus', () => {
  const t = useTestApp({ CITYCHECK_MAX_UNPACKED_MB: '16' })
  const all = cases()
  let before: unknown

  beforeAll(async () => {
    // Every layer the corpus touches has a current version, which must survive every refusal.
    const ok = async (layer: string, f: Buffer) =>
      expect(
        (
          await request(t.app.server)
            .post(`/api/years/2025/layers/${layer}`)
            .set(AUTH)
            .attach('file', f, `${layer}.geojson`)
        ).status,
      ).toBe(201)
    await ok('streets', geojson([polygonF(rect(-100, -100, 2000, 2000), { code: 'S1', name: '街道' })]))
    await ok('buildings', gj(good(5)))
    await ok('facilities', geojson([pointF(ll(0, 0), { type: '幼儿园', name: 'K' })]))
    await ok('jobs', geojson([pointF(ll(0, 0), { jobs: 10 })]))
    before = (await request(t.app.server).get('/api/years/2025/layers')).body
  })

  it(`holds at least 100 cases (${all.length})`, () => {
    expect(all.length).toBeGreaterThanOrEqual(100)
    expect(new Set(all.map((c) => c.name)).size).toBe(all.length)
  })

  it.each(all.map((c) => [c.name, c] as const))('%s is refused with a coded, bilingual 4xx', async (_n, c) => {
    let r = request(t.app.server)
      .post(`/api/years/${c.year ?? '2025'}/layers/${c.layer}`)
      .set(AUTH)
    for (const [k, v] of Object.entries(c.fields ?? {})) r = r.field(k, v)
    if (c.file) r = r.attach('file', c.file, c.fileName)
    const res = await r
    const e = res.body.error
    expect(res.status, `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    if (c.code instanceof RegExp) expect(e.code).toMatch(c.code)
    else expect(e.code).toBe(c.code)
    // 中文 first, then English, and never a 2 MB echo.
    const half = e.message.indexOf(' / ')
    expect(half, e.message).toBeGreaterThan(0)
    expect(e.message.slice(0, half)).toMatch(/[\u4e00-\u9fff]/)
    expect(e.message.slice(half + 3)).toMatch(/[A-Za-z]{3}/)
    expect(e.message.length).toBeLessThan(3000)
    if (c.namesFile !== false && c.fileName) expect(e.message).toContain(c.fileName.replace(/[\u0000-\u001f]/g, '_'))
    const named = e.issues?.[0] ?? e
    if (c.feature !== undefined) expect(named.feature).toBe(c.feature)
    if (c.field !== undefined) expect(named.field ?? e.field).toBe(c.field)
  })

  it('left every earlier version current and the server alive', async () => {
    expect((await request(t.app.server).get('/api/years/2025/layers')).body).toEqual(before)
    expect((await request(t.app.server).get('/api/health')).status).toBe(200)
    // Every refusal is in the public log with its code, never raw internal text.
    const log = (await request(t.app.server).get('/api/uploads?limit=1000')).body.uploads
    expect(log.filter((u: { status: string }) => u.status === 'failed').length).toBeGreaterThan(50)
    for (const u of log) if (u.error) expect(u.error.code).toMatch(/^CC_/)
  })

  it('accepts what only looks odd: UTF-16 text, an option sent as a JSON file part, GBK declared as GBK', async () => {
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(
        JSON.stringify({
          type: 'FeatureCollection',
          features: [{ type: 'Feature', ...polygonF(rect(0, 0, 10, 10), { code: 'U1', name: '统一街道' }) }],
        }),
        'utf16le',
      ),
    ])
    const a = await request(t.app.server)
      .post('/api/years/2030/layers/streets')
      .set(AUTH)
      .attach('file', utf16, 'u16.geojson')
    expect(a.status, JSON.stringify(a.body)).toBe(201)
    expect(a.body.encoding).toBe('utf-16le')
    const b = await request(t.app.server)
      .post('/api/years/2031/layers/streets')
      .set(AUTH)
      .attach('fields', Buffer.from('{"name":"MC"}'), { filename: 'fields.json', contentType: 'application/json' })
      .attach('file', geojson([polygonF(rect(0, 0, 10, 10), { code: 'F1', MC: '映射街道' })]), 's.geojson')
    expect(b.status, JSON.stringify(b.body)).toBe(201)
    expect(b.body.fieldMap.name).toBe('MC')
    const c = await request(t.app.server)
      .post('/api/years/2032/layers/streets')
      .set(AUTH)
      .field('encoding', 'GBK')
      .attach(
        'file',
        iconv.encode(
          JSON.stringify({
            type: 'FeatureCollection',
            features: [{ type: 'Feature', ...polygonF(rect(0, 0, 10, 10), { code: 'K1', name: '国标街道' }) }],
          }),
          'gbk',
        ),
        'k.geojson',
      )
    expect(c.status).toBe(201)
  })

  it('a truncated multipart body and a wrong boundary are 400s, not 500s', async () => {
    const body = Buffer.from(
      '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.geojson"\r\nContent-Type: application/json\r\n\r\n{"type":"FeatureCo',
    )
    const cut = await request(t.app.server)
      .post('/api/years/2025/layers/streets')
      .set(AUTH)
      .set('content-type', 'multipart/form-data; boundary=XYZ')
      .send(body)
    expect(cut.status).toBeGreaterThanOrEqual(400)
    expect(cut.status).toBeLessThan(500)
    expect(cut.body.error.code).toMatch(/^CC_/)
    const wrong = await request(t.app.server)
      .post('/api/years/2025/layers/streets')
      .set(AUTH)
      .set('content-type', 'multipart/form-data; boundary=NOPE')
      .send(
        Buffer.from(
          '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.geojson"\r\n\r\n{}\r\n--XYZ--\r\n',
        ),
      )
    expect(wrong.status).toBeGreaterThanOrEqual(400)
    expect(wrong.status).toBeLessThan(500)
    expect(wrong.body.error.code).toMatch(/^CC_/)
    const text = await request(t.app.server)
      .put('/api/years/2025/indicator-config')
      .set(AUTH)
      .set('content-type', 'application/xml')
      .send('<a/>')
    expect([text.status, text.body.error.code]).toEqual([415, 'CC_MEDIA_TYPE'])
    expect(text.body.error.message).toMatch(/^不支持的请求类型/)
    const big = await request(t.app.server).get('/api/years/2025/layers/streets?offset=99999999999999')
    expect(big.status).toBe(400)
    const job = await request(t.app.server).get('/api/jobs/99999999999999999999')
    expect(job.status).toBeLessThan(500)
  })
})

describe('text encodings a clerk does not declare', () => {
  const t = useTestApp()
  const streets = (name: string) =>
    JSON.stringify({
      type: 'FeatureCollection',
      features: [{ type: 'Feature', ...polygonF(rect(0, 0, 10, 10), { code: 'E1', name }) }],
    })
  it.each([
    ['gbk', '海淀区中关村街道办事处学院路社区'],
    ['big5', '臺北市中正區行政區域界線及各里辦公處'],
  ])('detects %s, says so with a confidence, and stores the text right', async (enc, name) => {
    const r = await request(t.app.server)
      .post('/api/years/2025/layers/streets')
      .set(AUTH)
      .attach('file', iconv.encode(streets(name), enc), `${enc}.geojson`)
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    expect(r.body).toMatchObject({ encoding: enc, encodingSource: 'detected' })
    expect(typeof r.body.encodingConfidence).toBe('number')
    const back = await request(t.app.server).get('/api/years/2025/layers/streets')
    expect(back.body.features[0].properties.name).toBe(name)
  })
  it('a Big5 .dbf without .cpg is read as Big5, not as GBK mojibake', async () => {
    const name = '臺北市中正區行政區域界線'
    const file = zip(
      shapefileParts({
        features: [polygonF(rect(0, 0, 10, 10), { CODE: 'T1', NAME: name })],
        fields: [
          { name: 'CODE', type: 'C', length: 10 },
          { name: 'NAME', type: 'C', length: 60 },
        ],
        encoding: 'big5',
      }),
    )
    const r = await request(t.app.server)
      .post('/api/years/2026/layers/streets')
      .set(AUTH)
      .attach('file', file, 'tw.zip')
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    expect(r.body.encoding).toBe('big5')
    expect((await request(t.app.server).get('/api/years/2026/layers/streets')).body.features[0].properties.name).toBe(
      name,
    )
  })
})
