import { t } from "elysia";

/** A management-API error with its status and `{message, detail, validations}` body (SPEC §4.2). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail?: string,
    readonly validations?: Validation[],
  ) {
    super(message);
  }

  toBody(): ApiErrorBody {
    return {
      message: this.message,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      ...(this.validations === undefined ? {} : { validations: this.validations }),
    };
  }
}

export interface Validation {
  field: string;
  detail: string;
}

export interface ApiErrorBody {
  message: string;
  detail?: string;
  validations?: Validation[];
}

export const ErrorSchema = t.Object(
  {
    message: t.String(),
    detail: t.Optional(t.String()),
    validations: t.Optional(t.Array(t.Object({ field: t.String(), detail: t.String() }))),
  },
  { $id: "#/components/schemas/Error", title: "Error" },
);

/** The error responses every authenticated management route can give. */
export const authErrors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  500: ErrorSchema,
  503: ErrorSchema,
};
