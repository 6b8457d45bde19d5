import Type, { type TSchema } from "typebox";
import { contactFields } from "../../core/contact-fields.js";

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

// Types are checked here (a wrong JSON type refuses the request); lengths, formats and references are
// checked per input by the engine so that partial mode can report them record by record.
const scalarProperties = Object.fromEntries(
  contactFields.map((f) => {
    const description = f.maxLength ? `${f.description} (at most ${f.maxLength} characters)` : f.description;
    switch (f.type) {
      case "text":
        return [f.name, Type.Optional(nullable(Type.String({ description })))];
      case "boolean":
        return [f.name, Type.Optional(nullable(Type.Boolean({ description })))];
      case "reference":
        return [
          f.name,
          Type.Optional(
            nullable(Type.Integer({ description: `${description}: id of a ${f.reference} reference row` })),
          ),
        ];
      case "date":
        return [
          f.name,
          Type.Optional(
            nullable(Type.String({ description: `${description}; YYYY-MM-DD (a time part is dropped)` })),
          ),
        ];
      default:
        return [
          f.name,
          Type.Optional(
            nullable(
              Type.Union([Type.String(), Type.Number()], {
                description: `${description}; ISO 8601 or epoch ms`,
              }),
            ),
          ),
        ];
    }
  }),
);

const optionalText = Type.Optional(nullable(Type.String()));
const strict = { additionalProperties: false } as const;
const optionalInstant = Type.Optional(
  nullable(Type.Union([Type.String(), Type.Number()], { description: "ISO 8601 or epoch ms" })),
);

export const TagSchema = Type.Object(
  { tag: Type.String({ minLength: 1, maxLength: 200 }), taggedAt: optionalText },
  strict,
);
export const ConsentSchema = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 200 }),
    granted: Type.Boolean(),
    recordedAt: optionalInstant,
  },
  strict,
);
export const CourseSchema = Type.Object(
  {
    preferenceNumber: Type.Optional(nullable(Type.Integer())),
    studyLevel: optionalText,
    faculty: optionalText,
    course: optionalText,
    department: optionalText,
    campus: optionalText,
    studyArea: optionalText,
  },
  strict,
);
export const ActivitySchema = Type.Object(
  { kind: optionalText, courses: Type.Array(CourseSchema, { maxItems: 100 }) },
  strict,
);
export const CommunicationSchema = Type.Object(
  {
    incoming: Type.Optional(nullable(Type.Boolean())),
    category: optionalText,
    type: optionalText,
    headline: optionalText,
    labels: Type.Optional(nullable(Type.Array(Type.String(), { maxItems: 100 }))),
    subject: optionalText,
    code: optionalText,
    effectiveness: optionalText,
    fromEmail: optionalText,
    toEmail: optionalText,
    sendExternal: Type.Optional(nullable(Type.Boolean())),
    source: optionalText,
    referralSource: optionalText,
    occurredAt: optionalInstant,
  },
  strict,
);
export const NoteSchema = Type.Object(
  { content: Type.String({ minLength: 1, maxLength: 100_000 }), noteType: optionalText },
  strict,
);
export const TaskSchema = Type.Object(
  { taskType: optionalText, description: optionalText, actionDate: optionalText },
  strict,
);

export const ContactInputSchema = Type.Object(
  {
    id: Type.Optional(Type.Integer({ minimum: 1, description: 'The contact\'s own id (idProperty "id")' })),
    identifiers: Type.Optional(
      Type.Record(Type.String({ pattern: "^[a-z][a-z0-9_]{0,39}$" }), Type.String(), {
        description:
          "Identifiers by scheme: external_id, crm_number, regent_id, student_institution_id, or your own lower_snake scheme",
      }),
    ),
    ...scalarProperties,
    heatStatusReason: Type.Optional(
      nullable(
        Type.String({ description: "Why the heat status changes (history row); at most 100 characters" }),
      ),
    ),
    contactStatusReason: Type.Optional(
      nullable(
        Type.String({ description: "Why the contact status changes (history row); at most 100 characters" }),
      ),
    ),
    contactStatusDate: Type.Optional(
      nullable(Type.String({ description: "When the contact status change took effect" })),
    ),
    tags: Type.Optional(Type.Array(TagSchema, { maxItems: 500 })),
    consents: Type.Optional(Type.Array(ConsentSchema, { maxItems: 100 })),
    activities: Type.Optional(Type.Array(ActivitySchema, { maxItems: 100 })),
    communications: Type.Optional(Type.Array(CommunicationSchema, { maxItems: 500 })),
    notes: Type.Optional(Type.Array(NoteSchema, { maxItems: 100 })),
    tasks: Type.Optional(Type.Array(TaskSchema, { maxItems: 100 })),
  },
  strict,
);

export const maxBatchInputs = 1000;

export const BatchUpsertBodySchema = Type.Object(
  {
    idProperty: Type.String({ description: "id, email, pi, or an identifier scheme such as external_id" }),
    mode: Type.Optional(
      Type.Union([Type.Literal("allOrNone"), Type.Literal("partial")], { default: "allOrNone" }),
    ),
    inputs: Type.Array(ContactInputSchema),
  },
  strict,
);

export const ErrorDetailSchema = Type.Object({
  code: Type.String(),
  field: Type.Optional(Type.String()),
  message: Type.String(),
  index: Type.Optional(Type.Integer()),
});

export const ErrorBodySchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Array(ErrorDetailSchema)),
  }),
});

export const BatchResultSchema = Type.Object({
  index: Type.Integer(),
  status: Type.Union([
    Type.Literal("created"),
    Type.Literal("updated"),
    Type.Literal("unchanged"),
    Type.Literal("error"),
  ]),
  id: Type.Optional(Type.Integer()),
  errors: Type.Array(ErrorDetailSchema),
});

export const BatchUpsertResponseSchema = Type.Object({
  results: Type.Array(BatchResultSchema),
  summary: Type.Object({
    created: Type.Integer(),
    updated: Type.Integer(),
    unchanged: Type.Integer(),
    error: Type.Integer(),
  }),
});
