// XEP-0004 Data Forms: reading a <x xmlns='jabber:x:data'/> into values by field name, and building
// forms, results and submissions. FORM_TYPE (XEP-0068) is read and written as its hidden field.
import { StanzaError } from './errors.js';
import { NS } from './namespaces.js';
import { x, type Element } from './xml.js';

export type FormType = 'form' | 'submit' | 'cancel' | 'result';
export type FieldType =
  | 'boolean'
  | 'fixed'
  | 'hidden'
  | 'jid-multi'
  | 'jid-single'
  | 'list-multi'
  | 'list-single'
  | 'text-multi'
  | 'text-private'
  | 'text-single';

const FORM_TYPES: readonly string[] = ['form', 'submit', 'cancel', 'result'];

export interface DataForm {
  type: FormType;
  /** The value of the hidden FORM_TYPE field (XEP-0068), not repeated in `fields`. */
  formType?: string;
  title?: string;
  instructions: string[];
  /** Every field with a var, in document order: var → its values (empty when it has none). */
  fields: Map<string, string[]>;
  /** A multi-item result (§3.4): the vars of <reported/>, and each <item/>'s fields. */
  reported?: string[];
  items: Map<string, string[]>[];
}

function readFields(parent: Element, where: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const f of parent.getChildren('field')) {
    const name = f.attrs.var as string | undefined;
    if (name === undefined) {
      if (f.attrs.type === 'fixed') continue; // §3.2: only fixed fields may go without a var
      throw new StanzaError('bad-request', `a field ${where} has no var`);
    }
    if (fields.has(name)) throw new StanzaError('bad-request', `field "${name}" appears twice ${where}`);
    fields.set(name, f.getChildren('value').map((v) => v.getText()));
  }
  return fields;
}

/** Reads a data form; malformed forms (no or unknown type, fields without var, duplicate vars) are a bad-request. */
export function parseForm(el: Element): DataForm {
  if (el.name !== 'x' || el.attrs.xmlns !== NS.DATA) throw new StanzaError('bad-request', 'not a jabber:x:data form');
  const type = el.attrs.type as string | undefined;
  if (!type || !FORM_TYPES.includes(type)) throw new StanzaError('bad-request', `form type "${type ?? ''}" is not one of ${FORM_TYPES.join(', ')}`);
  const fields = readFields(el, 'in the form');
  const formType = fields.get('FORM_TYPE')?.[0];
  fields.delete('FORM_TYPE');
  const reported = el.getChild('reported');
  return {
    type: type as FormType,
    ...(formType !== undefined ? { formType } : {}),
    ...(el.getChild('title') ? { title: el.getChildText('title') ?? '' } : {}),
    instructions: el.getChildren('instructions').map((i) => i.getText()),
    fields,
    ...(reported ? { reported: reported.getChildren('field').map((f) => f.attrs.var as string).filter((v) => v !== undefined) } : {}),
    items: el.getChildren('item').map((item) => readFields(item, 'in an item')),
  };
}

/** The first value of a field, or undefined when the field is absent or has no value. */
export function formValue(form: DataForm, name: string): string | undefined {
  return form.fields.get(name)?.[0];
}

/** A boolean field's value (XML Schema booleans: "1"/"true", "0"/"false"); undefined for anything else. */
export function parseBoolean(value: string): boolean | undefined {
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  return undefined;
}

export type FieldValue = string | number | boolean;

export interface FieldSpec {
  var?: string;
  type?: FieldType;
  label?: string;
  desc?: string;
  required?: boolean;
  /** One value or several; booleans are written as "1" and "0". */
  value?: FieldValue | FieldValue[];
  options?: Array<{ label?: string; value: string }>;
}

const text = (v: FieldValue): string => (typeof v === 'boolean' ? (v ? '1' : '0') : String(v));

/** One <field/> (children in the schema's order: desc, required, values, options). */
export function field(spec: FieldSpec): Element {
  const values = spec.value === undefined ? [] : Array.isArray(spec.value) ? spec.value : [spec.value];
  return x(
    'field',
    { var: spec.var, type: spec.type, label: spec.label },
    spec.desc !== undefined ? x('desc', null, spec.desc) : undefined,
    spec.required ? x('required') : undefined,
    values.map((v) => x('value', null, text(v))),
    (spec.options ?? []).map((o) => x('option', { label: o.label }, x('value', null, o.value))),
  );
}

export interface FormSpec {
  type: FormType;
  /** Written first, as the hidden FORM_TYPE field. */
  formType?: string;
  title?: string;
  instructions?: string | string[];
  fields?: FieldSpec[];
  /** A multi-item result: the reported fields (var, type, label) and the items' values. */
  reported?: FieldSpec[];
  items?: Array<Record<string, FieldValue | FieldValue[]>>;
}

/** Builds a data form, result or submission. */
export function buildForm(spec: FormSpec): Element {
  const instructions = spec.instructions === undefined ? [] : Array.isArray(spec.instructions) ? spec.instructions : [spec.instructions];
  return x(
    'x',
    { xmlns: NS.DATA, type: spec.type },
    spec.title !== undefined ? x('title', null, spec.title) : undefined,
    instructions.map((i) => x('instructions', null, i)),
    spec.formType !== undefined ? field({ var: 'FORM_TYPE', type: 'hidden', value: spec.formType }) : undefined,
    (spec.fields ?? []).map(field),
    spec.reported ? x('reported', null, spec.reported.map((f) => field({ ...f, value: undefined }))) : undefined,
    (spec.items ?? []).map((item) => x('item', null, Object.entries(item).map(([name, value]) => field({ var: name, value })))),
  );
}
