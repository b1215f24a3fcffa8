/** "3 h 20 min", "2 d 4 h", "2日 4時間": a span of time as a reader wants it; null when there is none. */
export function formatDuration(ms: number | null, lang: 'en' | 'ja'): string | null {
  if (ms === null) return null;
  const minutes = Math.round(ms / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const units = lang === 'ja' ? ['日', '時間', '分'] : [' d', ' h', ' min'];
  return [d ? `${d}${units[0]}` : '', h ? `${h}${units[1]}` : '', m || (!d && !h) ? `${m}${units[2]}` : ''].filter(Boolean).join(' ');
}
