/** A labelled `<select>`; options are `[value, label]` pairs or plain values. */
export function SelectField({
  id,
  label,
  name,
  value,
  options,
  onChange,
}: {
  id: string;
  label: string;
  name?: string;
  value: string;
  options: readonly (string | readonly [string, string])[];
  onChange: (value: string) => void;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} name={name} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {options.map((option) => {
          const [v, text] = typeof option === "string" ? [option, option] : option;
          return (
            <option key={v} value={v}>
              {text}
            </option>
          );
        })}
      </select>
    </div>
  );
}

/** A form's error message, announced when it appears. */
export function FieldError({ error }: { error: string | null }) {
  return error ? (
    <span class="field-error" role="alert">
      {error}
    </span>
  ) : null;
}
