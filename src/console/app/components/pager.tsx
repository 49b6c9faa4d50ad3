import { type Filters, lastPage, PAGE_SIZES, type PageSize } from "../filters";
import { formatTokens } from "../format";

/** "1–25 of 1,234", previous/next and the page size (SPEC §18: 25/50/100, total from `count`). */
export function Pager({
  filters,
  count,
  shown,
  onChange,
  noun,
}: {
  filters: Filters;
  count: number;
  shown: number;
  noun: string;
  onChange: (next: Partial<Filters>) => void;
}) {
  const first = count === 0 ? 0 : (filters.page - 1) * filters.size + 1;
  const last = (filters.page - 1) * filters.size + shown;
  const pages = lastPage(count, filters.size);
  const what = count === 1 ? noun.replace(/s$/, "") : noun;
  return (
    <nav class="pager" aria-label="Pagination">
      <span class="pager-total" data-testid="total">
        {count === 0
          ? `0 ${noun}`
          : `${formatTokens(first)}–${formatTokens(last)} of ${formatTokens(count)} ${what}`}
      </span>
      <button type="button" disabled={filters.page <= 1} onClick={() => onChange({ page: filters.page - 1 })}>
        ← Previous
      </button>
      <span class="pager-page">
        Page {formatTokens(filters.page)} of {formatTokens(pages)}
      </span>
      <button
        type="button"
        disabled={filters.page >= pages}
        onClick={() => onChange({ page: filters.page + 1 })}
      >
        Next →
      </button>
      <label>
        Per page{" "}
        <select
          value={String(filters.size)}
          onChange={(e) => onChange({ size: Number(e.currentTarget.value) as PageSize, page: 1 })}
        >
          {PAGE_SIZES.map((size) => (
            <option key={size} value={String(size)}>
              {size}
            </option>
          ))}
        </select>
      </label>
    </nav>
  );
}
