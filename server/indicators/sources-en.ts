// Each indicator's source in English, by code: the same facts as its Chinese `source` (standard, clause,
// what is unconfirmed), so the English pages, figures and exports read whole. A test checks that every
// shipped indicator, computed or reported, has one; a local indicator shows its own text.

const GB50180 = 'GB 50180-2018 Standard for urban residential area planning and design'
const R75 =
  'Jianke [2023] No. 75, 2024 basic indicators of the urban health check (names as in the 2024–25 local implementation texts)'
const TIER5 = `${GB50180}, 5-minute life circle`
const TIER10 = `${GB50180}, 10-minute life circle`

export const SOURCE_EN: Record<string, string> = {
  kindergarten_coverage: `${GB50180} and GB 50180-93: kindergarten service radius ≤ 300 m; matches No. 75's "residential areas without a kindergarten to standard". Bottom-line typing is ours; the radius is confirmed from the older code`,
  nursery_coverage: `${TIER5}: nursery ≤ 300 m (annex B, recalled, unverified)`,
  elderly_station_coverage: `${TIER5}: elderly day-care centre ≤ 300 m (annex B, unverified); the Complete Residential Community standard requires one elderly service station`,
  community_service_coverage: `${TIER5}: community service station ≤ 300 m (unverified); Jianke Gui [2020] No. 7 (Complete Residential Community) requires one`,
  health_station_coverage: `${TIER5}: community health station (annex B, recalled, unverified); a complete community requires one`,
  fitness_coverage: `${TIER5}: small multi-purpose sports ground and outdoor fitness ground ≤ 300 m (unverified)`,
  culture_station_coverage: `${TIER5}: culture station (unverified)`,
  primary_school_coverage: `${TIER10}: primary school ≤ 500 m (the same in GB 50180-93). Bottom-line typing is ours`,
  middle_school_coverage: `No. 75 block indicator "middle school service radius coverage"; ${GB50180}, 15-minute life circle: middle school ≤ 1000 m. The denominator is area (one city's 2025 report: 15.80 ÷ 28.16 km²)`,
  market_coverage: `${TIER10}: food market or fresh supermarket ≤ 500 m (unverified)`,
  sports_ground_coverage: `${TIER10}: mid-sized multi-purpose sports ground ≤ 500 m (unverified); No. 75 block indicator "multi-purpose sports grounds not built to standard"`,
  bus_stop_coverage: 'Common planning practice: 500 m bus stop service radius (source unverified)',
  metro_coverage:
    'CAUPD commuting monitoring report, "800 m rail coverage" (counted by residential building, not by commute)',
  fire_station_coverage:
    'City indicator "fire station service radius coverage"; 1500 m ≈ the circle of equal area to the 7 km² district of a standard fire station (Jianbiao 152-2017; √(7/π) ≈ 1.49 km) — the conversion is ours, adjustable per year',
  green_300m:
    'The "green within 300 m, a park within 500 m" rule (CAUPD park distribution); the ≥ 400 m² size threshold is a suggested value from the reference material (unverified)',
  park_500m: `"Green within 300 m, a park within 500 m"; ≥ 1 ha is a suggested value (unverified); ${GB50180}: minimum park of the 10-minute circle 1.0 ha`,
  park_service_coverage:
    '2021–22 health-check definition of "park service radius coverage" (500 m for parks ≥ 5000 m², 300 m for 2000–5000 m²); target 80% from GB 55014-2021 (number unverified)',
  park_per_capita:
    'Park area per resident > 8.0 m² (GB 55014-2021, number unverified); measured as park area ÷ urban population',
  life_circle_5: `${GB50180} and TD/T 1062-2021 Guidelines for community life circle planning: 5/10/15 minutes ≈ 300/500/800–1000 m; the facilities of each tier from annex B (partly unverified)`,
  life_circle_10: `${GB50180} and TD/T 1062-2021: 5/10/15 minutes ≈ 300/500/800–1000 m; the facilities of each tier from annex B (partly unverified)`,
  life_circle_15: `${GB50180} and TD/T 1062-2021: 5/10/15 minutes ≈ 300/500/800–1000 m; the facilities of each tier from annex B (partly unverified)`,
  complete_community:
    'Jianke Gui [2020] No. 7 Complete Residential Community standard (trial), required items: community service station, kindergarten, nursery, elderly service station, community health station, supermarket, parcel point, public activity site, public green; the 300 m walking radius is ours',
  jobs_housing_ratio:
    'Jobs–housing ratio = jobs ÷ resident (working) population (reference §2.4); the balanced band 0.9–1.1 is a third-party tool’s grading (not official, unverified); the working share 0.5 is our assumption, settable per year',
  jobs_housing_5km:
    '"Happy commute" within 5 km (CAUPD commuting monitoring report); balanced band as for the jobs–housing ratio (not official)',
  commute_within_5km:
    'CAUPD commuting monitoring report, "share of commutes within 5 km"; the 2023 national mean of 52% is a reference, not an official target; needs the commute OD layer',
  mean_commute_distance:
    'CAUPD commuting monitoring "mean one-way commute distance" (straight-line here, shorter than on the network); no official target, reported only',
  pre2000_residential_share:
    'Old residential areas for renewal are those built by the end of 2000 (State Council General Office [2020] No. 23); no target, used to find renewal needs',
  tall_new_residential:
    '2021–22 health-check bottom-line indicator "new residential buildings over 80 m"; "new" means built since 2021 (our setting)',
  area_activity_site_shortfall:
    'Complete Residential Community standard (trial): public activity site ≥ 150 m² (Jianke Gui [2020] No. 7); 300 m is the 5-minute circle radius (GB 50180-2018); judging by site area is our method',
  // ---- reported by departments (server/figures/system.ts) ----
  substandard_walkway_km: `${R75}; computing it needs road data with widths, so departments report it`,
  multi_sport_field_shortfall: `${R75} (site coverage is also computed: "multi-purpose sports ground coverage")`,
  green_building_share: '2021 health-check indicator system (target 100%); the 2024 name from local texts',
  sports_area_per_capita:
    'National Fitness Plan (2021–2025): sports ground area 2.6 m² per resident (recalled, not checked against the text)',
  road_network_density:
    'Zhongfa [2016] No. 6: road network density 8 km/km²; computable from road centrelines, reported by departments for now (the roads layer has no urban road class)',
  resident_satisfaction:
    'Resident satisfaction survey (a 2021–22 health-check method); the aggregated score (out of 100) and sample size are entered per unit',
}

/** Families whose sources follow one template (inspection counts, 小区 facilities, school seats). */
export function familySourceEn(code: string, kind: string, params: Record<string, any>): string | undefined {
  if (kind === 'inspection_count') {
    const area = code.startsWith('area_')
    return `${R75} (${area ? 'residential-area' : 'housing'} level, collected ${area ? 'area by area' : 'building by building'}); the inspection items are our vocabulary (server/inspections/vocabulary.ts) and the bottom-line typing is ours; graded by the share of problems among those inspected: ≥ 5% severe, ≥ 3% serious (one city's practice, not a national rule)`
  }
  if (kind === 'area_facility') {
    const per = params.seatsPer1000
    return `No. 75 residential-area indicator (2024); service radius ${params.radius} m (${GB50180}${params.facilityTypes?.[0] === 'kindergarten' ? '; confirmed in GB 50180-93' : ', annex B, recalled, unverified'})${per ? `; ${per} places per 1000 residents is a common planning value (unverified, a year parameter)` : '; no places-per-1000 figure: reach only'}`
  }
  if (kind === 'school_seats')
    return `No. 75 residential-area indicator (2024); the age group's share of the population is estimated from the 7th census (0–14 year-olds 17.95%, spread evenly over single years; ageShare is a year parameter); service radius ${params.radius} m (GB 50180-93/2002); schools must carry their seats, else the result is no-data`
  return undefined
}

/** The English source of an indicator: its own entry, its family's template, else the 75号 default. */
export function sourceEnFor(code: string, kind = '', params: Record<string, any> = {}): string | undefined {
  return SOURCE_EN[code] ?? familySourceEn(code, kind, params)
}

export { R75 as REPORTED_SOURCE_EN }
