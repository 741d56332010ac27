import { describe, expect, it } from 'vitest';
import { ExpressionRuntimeError } from './errors.ts';
import {
  JArray,
  JObject,
  JValue,
  castToken,
  downcastToken,
  indexToken,
  parseJArray,
  parseJObject,
  parseJsonText,
  tokenFromPrimitive,
  tokenValueAs,
  wrapJson,
} from './jtoken.ts';

function thrown(fn: () => unknown): ExpressionRuntimeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExpressionRuntimeError) return e;
    throw e;
  }
  throw new Error('expected an ExpressionRuntimeError');
}

const body = (): JObject => parseJObject(JSON.parse('{"model":"gpt-4o","stream":null,"n":2,"t":0.5,"ok":true,"messages":[{"role":"user"}],"s":"true"}'));

describe('JObject', () => {
  it('returns C# null for a missing property but a Null JValue for JSON null', () => {
    const o = body();
    expect(o.get('absent')).toBeNull();
    const stream = o.get('stream');
    expect(stream).toBeInstanceOf(JValue);
    expect(stream?.type).toBe('Null');
  });

  it('returns the same child object on repeated access, as Newtonsoft does', () => {
    const o = body();
    expect(o.get('messages')).toBe(o.get('messages'));
  });

  it('types values the way Newtonsoft does', () => {
    const o = body();
    expect(['model', 'n', 't', 'ok', 'messages'].map((k) => o.get(k)?.type)).toEqual(['String', 'Integer', 'Float', 'Boolean', 'Array']);
  });

  it('prints indented JSON from ToString(), compact with Formatting.None', () => {
    const o = parseJObject({ a: [1], b: {} });
    expect(o.toString()).toBe('{\n  "a": [\n    1\n  ],\n  "b": {}\n}');
    expect(o.toString(false)).toBe('{"a":[1],"b":{}}');
  });

  it('does not treat inherited object properties as JSON properties', () => {
    expect(body().get('toString')).toBeNull();
    expect(body().has('constructor')).toBe(false);
  });
});

describe('JValue.ToString()', () => {
  it('prints bare values with .NET formatting', () => {
    expect(new JValue('x').toString()).toBe('x');
    expect(new JValue(true).toString()).toBe('True');
    expect(new JValue(null).toString()).toBe('');
    expect(new JValue(2).toString()).toBe('2');
    expect(new JValue(1e21).toString()).toBe('1E+21');
  });
});

describe('indexToken (JToken this[object])', () => {
  it('indexes objects by name and arrays by position', () => {
    const o = body();
    const messages = indexToken(o, 'messages');
    expect(messages).toBeInstanceOf(JArray);
    const first = indexToken(messages as JArray, 0);
    expect(indexToken(first as JObject, 'role')?.toString()).toBe('user');
  });

  it('raises Newtonsoft errors for the wrong key kind or a JValue', () => {
    expect(thrown(() => indexToken(body(), 0)).message).toBe('Accessed JObject values with invalid key value: 0. Object property name expected.');
    expect(thrown(() => indexToken(new JArray([1]), 'x')).message).toBe('Accessed JArray values with invalid key value: "x". Int32 array index expected.');
    const e = thrown(() => indexToken(new JValue(1), 'x'));
    expect(e.exceptionType).toBe('InvalidOperationException');
    expect(e.message).toBe('Cannot access child value on Newtonsoft.Json.Linq.JValue.');
  });

  it('raises ArgumentOutOfRangeException past the end of an array', () => {
    expect(thrown(() => new JArray([1]).at(1)).exceptionType).toBe('ArgumentOutOfRangeException');
  });
});

describe('castToken (explicit operators)', () => {
  const o = body();

  it('(bool) of JSON null throws; (bool?) gives null; (bool) of a missing token throws ArgumentNullException', () => {
    expect(thrown(() => castToken(o.get('stream'), 'bool', false)).message).toBe('Can not convert Null to Boolean.');
    expect(castToken(o.get('stream'), 'bool', true)).toBeNull();
    expect(castToken(o.get('absent'), 'bool', true)).toBeNull();
    expect(thrown(() => castToken(o.get('absent'), 'bool', false)).exceptionType).toBe('ArgumentNullException');
  });

  it('(string) converts primitives and refuses containers', () => {
    expect(castToken(o.get('model'), 'string', false)).toBe('gpt-4o');
    expect(castToken(o.get('n'), 'string', false)).toBe('2');
    expect(castToken(o.get('ok'), 'string', false)).toBe('True');
    expect(castToken(o.get('absent'), 'string', false)).toBeNull();
    expect(thrown(() => castToken(o.get('messages'), 'string', false)).message).toBe('Can not convert Array to String.');
  });

  it('(int) converts numbers, numeric strings and booleans', () => {
    expect(castToken(o.get('n'), 'int', false)).toBe(2);
    expect(castToken(o.get('t'), 'int', false)).toBe(0);
    expect(castToken(new JValue('12'), 'int', false)).toBe(12);
    expect(castToken(o.get('ok'), 'int', false)).toBe(1);
    expect(thrown(() => castToken(o.get('model'), 'int', false)).exceptionType).toBe('FormatException');
  });

  it('(bool) parses "true" strings', () => {
    expect(castToken(o.get('s'), 'bool', false)).toBe(true);
  });
});

describe('tokenValueAs (Value<T>)', () => {
  const o = body();

  it('gives default(T) for a missing token instead of throwing', () => {
    expect(tokenValueAs(o.get('absent'), 'bool', false)).toBe(false);
    expect(tokenValueAs(o.get('absent'), 'int', false)).toBe(0);
    expect(tokenValueAs(o.get('absent'), 'string', false)).toBeNull();
    expect(tokenValueAs(o.get('absent'), 'bool', true)).toBeNull();
  });

  it('fails on JSON null for a non-nullable value type', () => {
    const e = thrown(() => tokenValueAs(o.get('stream'), 'bool', false));
    expect(e.exceptionType).toBe('InvalidCastException');
    expect(e.message).toBe('Null object cannot be converted to a value type.');
    expect(tokenValueAs(o.get('stream'), 'string', false)).toBeNull();
  });

  it('converts like Convert.ChangeType', () => {
    expect(tokenValueAs(o.get('model'), 'string', false)).toBe('gpt-4o');
    expect(tokenValueAs(o.get('n'), 'double', false)).toBe(2);
    expect(tokenValueAs(o.get('n'), 'string', false)).toBe('2');
    expect(tokenValueAs(new JValue(2.5), 'int', false)).toBe(2);
  });

  it('refuses to convert a container', () => {
    expect(thrown(() => tokenValueAs(o.get('messages'), 'string', false)).message).toBe('Cannot cast Newtonsoft.Json.Linq.JArray to Newtonsoft.Json.Linq.JToken.');
  });
});

describe('parsing and downcasts', () => {
  it('parseJsonText raises JsonReaderException for invalid JSON', () => {
    const e = thrown(() => parseJsonText('{oops'));
    expect(e.exceptionType).toBe('JsonReaderException');
    expect(e.message).toMatch(/^Unexpected character encountered while parsing value: \{/);
  });

  it('parseJObject requires an object at the top level', () => {
    expect(thrown(() => parseJObject([1])).message).toBe(
      "Error reading JObject from JsonReader. Current JsonReader item is not an object: StartArray. Path '', line 1, position 1.",
    );
    expect(parseJArray([1, 2]).count).toBe(2);
    expect(thrown(() => parseJArray({})).message).toMatch(/not an array: StartObject/);
  });

  it('downcastToken checks the run-time token type', () => {
    const o = body();
    expect(downcastToken(o, 'JObject')).toBe(o);
    expect(downcastToken(null, 'JObject')).toBeNull();
    expect(thrown(() => downcastToken(new JValue(1), 'JObject')).message).toBe(
      "Unable to cast object of type 'Newtonsoft.Json.Linq.JValue' to type 'Newtonsoft.Json.Linq.JObject'.",
    );
  });

  it('wraps primitives as JValues for implicit conversions', () => {
    expect(tokenFromPrimitive('x', false).type).toBe('String');
    expect(tokenFromPrimitive(2, true).type).toBe('Integer');
    expect(tokenFromPrimitive(2, false).type).toBe('Float');
    expect(wrapJson(undefined).type).toBe('Null');
  });
});
