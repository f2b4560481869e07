import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { IdParams } from '../../../schemas/common.js'
import { Page } from '../../../schemas/pagination.js'
import { ConditionalGetHeaders, ConditionalWriteHeaders, Product, ProductCreate, ProductListQuery, ProductPatch } from '../../../schemas/product.js'
import { problems, success } from '../../../schemas/responses.js'
import { archiveProduct, createProduct, getProduct, updateProduct } from '../../../src/products/service.js'
import { listProducts } from '../../../src/products/list.js'
import { LIST_GENERATION_MEMO_MS } from '../../../src/products/list-cache.js'
import { acceptedVersions, parseIfNoneMatch } from '../../../src/products/etag.js'
import type { SerializedBody } from '../../../src/products/cache.js'

const ProductRef = Type.Ref(Product)
// `type: null` makes the document show no content; the static type is undefined because nothing at all is sent.
const NotModified = success(Type.Unsafe<undefined>({ type: 'null' }), 'Not modified: your copy (if-none-match) is current; no body', ['ETag'])
const NoContent = Type.Null({ description: 'Archived: gone from reads, kept for order history' })
/** What Fastify sends for a serialized object; a cached page is sent as those very bytes. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'

/** The route's own 200 serializer (fast-json-stringify), which always writes text. */
function render (reply: FastifyReply, page: unknown): string {
  const body = reply.serialize(page)
  if (typeof body !== 'string') throw new TypeError('the list serializer wrote no text')
  return body
}

/**
 * Sends a body serialized earlier from the route's schema: a string with a JSON content type is written as it
 * is, never serialized again. Typed as a plain reply, since the route's type says an object goes out.
 */
function sendSerialized (reply: FastifyReply, body: SerializedBody): FastifyReply {
  return reply.type(JSON_CONTENT_TYPE).send(body)
}
const LINK_PARAMETERS = ['limit', 'sort', 'q', 'minPrice', 'maxPrice', 'inStock'] as const

/** RFC 8288 `Link` to the next page: this request's parameters, with the cursor in place of any page number. */
function nextLink (path: string, query: Partial<Record<typeof LINK_PARAMETERS[number], string | number | boolean>>, cursor: string): string {
  const parameters = LINK_PARAMETERS.flatMap((name) => {
    const value = query[name]
    return value === undefined ? [] : [`${name}=${encodeURIComponent(value)}`]
  })
  return `<${path}?${[...parameters, `cursor=${cursor}`].join('&')}>; rel="next"`
}

const productRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/', {
    schema: {
      tags: ['products'],
      summary: 'List live products with search, price and stock filters, sorting and paging',
      description: 'Archived products are never listed. Every parameter is optional; `q` is matched as a plain ' +
        'substring, never as a pattern. Page through with `page`, or follow the `Link` header (rel="next"), whose ' +
        '`cursor` continues just after the last item shown even while products are added or removed; there is no ' +
        'link on the last page. Pages are cached: every product change (create, change, archive, an order or a ' +
        `cancellation moving stock) drops them before it answers, but a replica may serve a list up to ${LIST_GENERATION_MEMO_MS} ms ` +
        'older than a change made through another one, so stock shown in a list may be that old. Orders never rely ' +
        'on it: they check stock when placed.',
      querystring: ProductListQuery,
      response: {
        200: success(Page(ProductRef), 'One page of products and where it lies in the whole list', ['Link']),
        ...problems([400, 'A parameter is invalid or unknown, minPrice > maxPrice, or the cursor is not one this service issued (or not for this sort, or sent with a page)', ['validation', 'bad-request']])
      }
    }
  }, async (request, reply) => {
    const listed = await listProducts(fastify, request.query, (page) => render(reply, page))
    if (listed.nextCursor !== undefined) reply.header('link', nextLink(fastify.prefix, request.query, listed.nextCursor))
    return sendSerialized(reply, listed.body)
  })

  fastify.get('/:id', {
    schema: {
      tags: ['products'],
      summary: 'Read one product; strong ETag, 304 on a matching if-none-match',
      description: 'Send the ETag of a copy you hold in if-none-match to get a bodiless 304 while it is current. ' +
        'Reads come from the cache, which every write invalidates before it answers; another replica drops its ' +
        'in-memory copy when it hears of the write, at most 1 s later.',
      params: IdParams,
      headers: ConditionalGetHeaders,
      response: { 200: success(ProductRef, 'The product', ['ETag']), 304: NotModified, ...problems(400, 404) }
    }
  }, async (request, reply) => {
    const { body, etag, notModified } = await getProduct(fastify, request.params.id, parseIfNoneMatch(request.headers['if-none-match']),
      (product) => reply.serialize(product))
    reply.header('etag', etag)
    // No body at all: a 304 carries no representation metadata (RFC 9110 §15.4.5), so no content-type and no
    // content-length of a serialized null; Fastify writes neither for an empty 304.
    if (notModified) return reply.code(304).send(undefined)
    // The bytes this route's own serializer made when the cache was filled.
    return sendSerialized(reply, body)
  })

  fastify.post('/', {
    config: { access: 'admin' },
    schema: {
      tags: ['products'],
      summary: 'Create a product (admin)',
      description: 'The sku must be unique; description defaults to an empty string. Answers the new product ' +
        'with its location and ETag.',
      body: ProductCreate,
      response: {
        201: success(ProductRef, 'Created', ['Location', 'ETag']),
        ...problems(400, 415, [409, 'Another product already has this sku', ['sku-taken']])
      }
    }
  }, async (request, reply) => {
    const { product, etag } = await createProduct(fastify, request.body)
    return reply.code(201).headers({ location: `/v1/products/${product.id}`, etag }).send(product)
  })

  fastify.patch('/:id', {
    config: { access: 'admin' },
    schema: {
      tags: ['products'],
      summary: 'Change some fields of a product (admin); optimistic locking with if-match',
      description: 'Send only the fields to change. With if-match the change applies only to the version you ' +
        'read (else 412); without it the last write wins. Answers the product with its new ETag.',
      params: IdParams,
      headers: ConditionalWriteHeaders,
      body: ProductPatch,
      response: {
        200: success(ProductRef, 'The product as changed', ['ETag']),
        ...problems(400, 404, 415, [409, 'Another product already has this sku', ['sku-taken']], [412, 'if-match names an older version'])
      }
    }
  }, async (request, reply) => {
    const { product, etag } = await updateProduct(fastify, request.params.id, request.body, acceptedVersions(request.headers['if-match'], request.params.id))
    reply.header('etag', etag)
    return product
  })

  fastify.delete('/:id', {
    config: { access: 'admin' },
    schema: {
      tags: ['products'],
      summary: 'Archive a product (admin): it leaves the catalog, past orders keep their lines',
      description: 'The product is no longer read, listed or orderable; orders placed before keep their lines ' +
        'as they were at purchase.',
      params: IdParams,
      response: { 204: NoContent, ...problems(400, 404) }
    }
  }, async (request, reply) => {
    await archiveProduct(fastify, request.params.id)
    return reply.code(204).send(null)
  })
}

export default productRoutes
