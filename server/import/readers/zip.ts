// Reads a zip into memory with a bound on the unpacked size: both the sizes the archive declares and
// the bytes actually inflated are counted, so an archive that lies about its sizes (a zip bomb) is
// stopped as soon as it passes the limit.
import yauzl from 'yauzl'
import { AppError } from '../../errors.ts'

/**
 * The members a reader can use: Shapefile parts, GeoJSON, CSV, MapInfo (.tab .dat .map .id .ind, .mif .mid),
 * KML, GML (with its .xsd/.gfs), and every file of a File Geodatabase folder.
 */
const WANTED =
  /\.(shp|shx|dbf|prj|cpg|geojson|json|csv|txt|tsv|tab|dat|map|id|ind|mif|mid|kml|gml|xsd|gfs)$|\.gdb\/[^/]+$/i

export async function unzip(buf: Buffer, fileName: string, maxUnpackedBytes: number): Promise<Map<string, Buffer>> {
  const limitMb = Math.round(maxUnpackedBytes / 1024 / 1024)
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(buf, { lazyEntries: true, validateEntrySizes: true, decodeStrings: true }, (err, z) =>
      err ? reject(new AppError('CC_ZIP_INVALID', { file: fileName, reason: err.message })) : resolve(z!),
    ),
  )
  const files = new Map<string, Buffer>()
  let total = 0
  return new Promise((resolve, reject) => {
    const fail = (e: Error) => {
      zip.close()
      reject(e instanceof AppError ? e : new AppError('CC_ZIP_INVALID', { file: fileName, reason: e.message }))
    }
    zip.on('error', fail)
    zip.on('end', () => resolve(files))
    zip.on('entry', (entry: yauzl.Entry) => {
      const name = entry.fileName
      // Skip folders, macOS resource forks, and every file no reader wants (never inflated at all).
      if (name.endsWith('/') || name.startsWith('__MACOSX/') || /(^|\/)\._/.test(name) || !WANTED.test(name))
        return zip.readEntry()
      if (total + entry.uncompressedSize > maxUnpackedBytes)
        return fail(new AppError('CC_UNPACKED_TOO_LARGE', { file: fileName, limitMb }))
      // Real GIS files deflate 3–20 to 1; a thousand to one over 10 MB is a bomb, refused before inflating.
      if (
        entry.uncompressedSize > 10 * 1024 * 1024 &&
        entry.uncompressedSize > 1000 * Math.max(1, entry.compressedSize)
      ) {
        return fail(new AppError('CC_UNPACKED_TOO_LARGE', { file: fileName, limitMb }))
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err) return fail(err)
        const chunks: Buffer[] = []
        stream!.on('data', (c: Buffer) => {
          total += c.length
          if (total > maxUnpackedBytes) {
            stream!.destroy()
            fail(new AppError('CC_UNPACKED_TOO_LARGE', { file: fileName, limitMb }))
          } else chunks.push(c)
        })
        stream!.on('error', fail)
        stream!.on('end', () => {
          files.set(name, Buffer.concat(chunks))
          zip.readEntry()
        })
      })
    })
    zip.readEntry()
  })
}
