import { useEffect, useId, useRef, useState } from "preact/hooks";

/**
 * A text input that offers suggestions for what has been typed (an ARIA combobox): ↓/↑ move, Enter
 * picks, Escape closes. `suggest` gets the typed prefix; its answer for an older prefix is ignored.
 */
export function Typeahead({
  label,
  value,
  placeholder,
  suggest,
  onCommit,
  name,
}: {
  label: string;
  value: string;
  placeholder?: string;
  name: string;
  suggest: (prefix: string, signal: AbortSignal) => Promise<string[]>;
  onCommit: (value: string) => void;
}) {
  const id = useId();
  const [text, setText] = useState(value);
  const [options, setOptions] = useState<string[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const typed = useRef(false);

  useEffect(() => setText(value), [value]);

  useEffect(() => {
    if (!typed.current) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      suggest(text, controller.signal).then(
        (found) => {
          if (controller.signal.aborted) return;
          setOptions(found);
          setActive(-1);
          setOpen(found.length > 0);
        },
        () => {
          if (!controller.signal.aborted) setOpen(false);
        },
      );
    }, 120);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [text, suggest]);

  const pick = (option: string) => {
    typed.current = false;
    setText(option);
    setOpen(false);
    onCommit(option);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      setOpen(true);
      setActive((i) => (i + 1) % options.length);
    } else if (event.key === "ArrowUp" && options.length) {
      event.preventDefault();
      setOpen(true);
      setActive((i) => (i <= 0 ? options.length - 1 : i - 1));
    } else if (event.key === "Enter") {
      event.preventDefault();
      pick(open && active >= 0 ? options[active]! : text.trim());
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      setOpen(false);
    }
  };

  return (
    <div class="field typeahead">
      <label for={`${id}-input`}>{label}</label>
      <input
        id={`${id}-input`}
        name={name}
        type="text"
        role="combobox"
        autoComplete="off"
        spellcheck={false}
        aria-expanded={open}
        aria-controls={`${id}-list`}
        aria-autocomplete="list"
        aria-activedescendant={open && active >= 0 ? `${id}-option-${active}` : undefined}
        placeholder={placeholder}
        value={text}
        onInput={(e) => {
          typed.current = true;
          setText(e.currentTarget.value);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => {
          setOpen(false);
          if (text.trim() !== value) onCommit(text.trim());
        }}
      />
      {open ? (
        <div id={`${id}-list`} role="listbox" class="typeahead-list" aria-label={`${label} suggestions`}>
          {options.map((option, i) => (
            <div
              key={option}
              id={`${id}-option-${i}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === active}
              class={i === active ? "active" : undefined}
              // mousedown, not click: it runs before the input's blur closes the list.
              onMouseDown={(e) => {
                e.preventDefault();
                pick(option);
              }}
            >
              {option}
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}
