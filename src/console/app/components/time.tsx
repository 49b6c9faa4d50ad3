import { formatTime, utcTitle } from "../format";

/** A time in the browser's zone; the UTC instant on hover. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span>—</span>;
  return (
    <time dateTime={iso} title={utcTitle(iso)}>
      {formatTime(iso)}
    </time>
  );
}
