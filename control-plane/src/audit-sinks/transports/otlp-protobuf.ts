/**
 * The few protobuf messages of OTLP logs Keyward sends (`opentelemetry.proto.collector.logs.v1.
 * ExportLogsServiceRequest` and what it holds), written by hand: field numbers from the OTLP
 * `.proto` files, so the control plane needs no protobuf runtime.
 */

/** A value of `AnyValue`: a string (field 1) or an int64 (field 3). */
type OtlpValue = string | number;

interface OtlpLogRecord {
  readonly timeUnixNano: bigint;
  readonly observedTimeUnixNano: bigint;
  /** `SeverityNumber`: 9 INFO, 13 WARN. */
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: string;
  readonly attributes: readonly (readonly [string, OtlpValue])[];
}

export interface OtlpLogsRequest {
  readonly resourceAttributes: readonly (readonly [string, OtlpValue])[];
  readonly scope: { readonly name: string; readonly version: string };
  readonly records: readonly OtlpLogRecord[];
}

/** `ExportLogsServiceRequest { resource_logs = 1 }` with one `ResourceLogs { resource = 1, scope_logs = 2 }`. */
export function encodeLogsRequest(request: OtlpLogsRequest): Buffer {
  const resource = request.resourceAttributes.map(([k, v]) => message(1, keyValue(k, v)));
  const scope = message(1, Buffer.concat([string(1, request.scope.name), string(2, request.scope.version)]));
  const scopeLogs = message(2, Buffer.concat([scope, ...request.records.map((r) => message(2, logRecord(r)))]));
  const resourceLogs = message(1, Buffer.concat([message(1, Buffer.concat(resource)), scopeLogs]));
  return resourceLogs;
}

/** `LogRecord`: time 1 (fixed64), severity_number 2, severity_text 3, body 5, attributes 6, observed_time 11 (fixed64). */
function logRecord(r: OtlpLogRecord): Buffer {
  return Buffer.concat([
    fixed64(1, r.timeUnixNano),
    varintField(2, BigInt(r.severityNumber)),
    string(3, r.severityText),
    message(5, anyValue(r.body)),
    ...r.attributes.map(([k, v]) => message(6, keyValue(k, v))),
    fixed64(11, r.observedTimeUnixNano),
  ]);
}

/** `KeyValue { key = 1, value = 2 }`. */
function keyValue(key: string, value: OtlpValue): Buffer {
  return Buffer.concat([string(1, key), message(2, anyValue(value))]);
}

/** `AnyValue { string_value = 1, int_value = 3 }`. */
function anyValue(value: OtlpValue): Buffer {
  return typeof value === 'string' ? string(1, value) : varintField(3, BigInt(value));
}

function tag(field: number, wireType: number): Buffer {
  return varint(BigInt((field << 3) | wireType));
}

function varint(value: bigint): Buffer {
  const bytes: number[] = [];
  let v = BigInt.asUintN(64, value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return Buffer.from(bytes);
}

function varintField(field: number, value: bigint): Buffer {
  return Buffer.concat([tag(field, 0), varint(value)]);
}

function fixed64(field: number, value: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(value);
  return Buffer.concat([tag(field, 1), out]);
}

function message(field: number, body: Buffer): Buffer {
  return Buffer.concat([tag(field, 2), varint(BigInt(body.length)), body]);
}

function string(field: number, value: string): Buffer {
  return message(field, Buffer.from(value, 'utf8'));
}
