declare module 'subset-font' {
  /** harfbuzz's hb-subset over a font: the glyphs of `text` only, as sfnt, woff or woff2. */
  export default function subsetFont(
    font: Buffer,
    text: string,
    options?: { targetFormat?: 'sfnt' | 'woff' | 'woff2' | 'truetype' },
  ): Promise<Buffer>
}
