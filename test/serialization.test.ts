import t from 'tap'
import { Type } from '@sinclair/typebox'
import { buildSerializer } from '../src/serialization.js'

const Shared = Type.Object({ title: Type.String() }, { $id: 'Shared' })
const route = (schema: unknown, httpStatus: string) => ({ method: 'GET', url: '/x', httpStatus, schema })

t.test('one serializer per response schema object, whatever route or status uses it', async (t) => {
  const ref = Type.Ref(Shared)
  const compile = buildSerializer({ Shared }, {})
  const first = compile(route(ref, '404'))
  t.equal(compile(route(ref, '409')), first, 'same schema object, another status: reused')
  t.equal(buildSerializer({ Shared }, {})(route(ref, '400')), first, 'another plugin context with the same shared schemas: reused')
  t.equal(first({ title: 'Not Found', extra: 1 }), '{"title":"Not Found"}', 'and it serializes by the schema')
})

t.test('a different schema object or different shared schemas get their own serializer', async (t) => {
  const compile = buildSerializer({ Shared }, {})
  const ref = Type.Ref(Shared)
  t.not(compile(route(Type.Ref(Shared), '404')), compile(route(ref, '404')), 'an equal but distinct object is compiled on its own')
  const OtherShared = Type.Object({ name: Type.String() }, { $id: 'Shared' })
  const other = buildSerializer({ Shared: OtherShared }, {})(route(ref, '404'))
  t.equal(other({ name: 'n', title: 't' }), '{"name":"n"}', 'the reference resolves against its own shared schemas')
})
