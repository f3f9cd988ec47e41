import { describe, expect, it } from 'vitest';
import { ruleTableJsonSchema, SCHEMA_ID } from '../../../src/rules/index.js';

type Json = Record<string, unknown>;

/** Every object schema with its JSON path, so each can be checked for editor help. */
function objectSchemas(schema: Json, path = '#'): [string, Json][] {
  const found: [string, Json][] = schema.type === 'object' ? [[path, schema]] : [];
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  for (const [key, child] of Object.entries(properties)) found.push(...objectSchemas(child, `${path}/${key}`));
  if (schema.items) found.push(...objectSchemas(schema.items as Json, `${path}/items`));
  return found;
}

describe('published JSON Schema', () => {
  const schema = ruleTableJsonSchema();

  it('identifies itself as draft 2020-12 with an id and a title', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(SCHEMA_ID);
    expect(schema.title).toBe('Fulcrum rule table');
  });

  it('is plain JSON (no TypeBox internals) and does not share objects with the validator', () => {
    expect(JSON.parse(JSON.stringify(schema))).toStrictEqual(schema);
    (schema.properties as Json).services = null;
    expect((ruleTableJsonSchema().properties as Json).services).not.toBeNull();
  });

  it('closes every mapping to unknown keys and documents every key', () => {
    const objects = objectSchemas(ruleTableJsonSchema());
    expect(objects.map(([path]) => path)).toEqual([
      '#',
      '#/services/items',
      '#/services/items/persistence',
      '#/services/items/health',
      '#/services/items/backends/items',
    ]);
    for (const [path, object] of objects) {
      expect(object.additionalProperties, path).toBe(false);
      for (const [key, property] of Object.entries(object.properties as Record<string, Json>)) {
        expect(typeof property.description, `${path}/${key}`).toBe('string');
        if (key !== '$schema') expect(property.errorMessage, `${path}/${key} errorMessage`).toBeDefined();
      }
    }
  });

  it('publishes the bounds, keywords and defaults editors can use', () => {
    const service = (ruleTableJsonSchema().properties as { services: { items: { properties: Record<string, Json> } } }).services.items;
    const backend = (service.properties.backends as { items: { properties: Record<string, Json> } }).items;
    expect(backend.properties.weight).toMatchObject({ type: 'integer', minimum: 0, maximum: 65_535, default: 1 });
    expect(service.properties.algorithm).toMatchObject({ default: 'round-robin' });
    expect((service.properties.health as { properties: Record<string, Json> }).properties.interval).toMatchObject({ default: '2s' });
    expect(service.properties['idle-timeout']).not.toHaveProperty('default');
    expect(service.properties.backends).toMatchObject({ type: 'array', minItems: 1 });
    expect((service.properties.algorithm as { anyOf: Json[] }).anyOf.map((v) => v.const)).toContain('maglev');
    expect(service.properties.listen!.pattern).toEqual(expect.any(String));
  });
});
