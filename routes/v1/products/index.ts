import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams } from '../../../schemas/common.js'
import { Page } from '../../../schemas/pagination.js'
import { ConditionalGetHeaders, ConditionalWriteHeaders, Product, ProductCreate, ProductListQuery, ProductPatch } from '../../../schemas/product.js'
import { problems, success } from '../../../schemas/responses.js'
import { archiveProduct, createProduct, getProduct, listProducts, updateProduct } from '../../../src/products/service.js'
import { acceptedVersions, parseIfNoneMatch } from '../../../src/products/etag.js'

const ProductRef = Type.Ref(Product)
/** What Fastify writes for a serialized JSON body; prepared bodies carry the same. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'
// `type: null` makes the document show no content; the static type is undefined because nothing at all is sent.
const NotModified = success(Type.Unsafe<undefined>({ type: 'null' }), 'Not modified: your copy (if-none-match) is current; no body', ['ETag'])
const NoContent = Type.Null({ description: 'Archived: gone from reads, kept for order history' })

const productRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/', {
    schema: {
      tags: ['products'],
      summary: 'List live products with search, price and stock filters, sorting and paging',
      description: 'Archived products are never listed. Every parameter is optional; `q` is matched as a plain ' +
        'substring, never as a pattern. Lists are not cached: stock is always current.',
      querystring: ProductListQuery,
      response: {
        200: success(Page(ProductRef), 'One page of products and where it lies in the whole list'),
        ...problems([400, 'A parameter is invalid or unknown, or minPrice > maxPrice', ['validation', 'bad-request']])
      }
    }
  }, async (request) => listProducts(fastify, request.query))

  fastify.get('/:id', {
    schema: {
      tags: ['products'],
      summary: 'Read one product; strong ETag, 304 on a matching if-none-match',
      description: 'Send the ETag of a copy you hold in if-none-match to get a bodiless 304 while it is current. ' +
        'Reads come from the cache, which every write invalidates before it answers.',
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
    // The bytes this route's own serializer made when the cache was filled: Fastify sends a string with a JSON
    // content-type as it is, so a hit is not serialized again. The type provider only knows the schema's object,
    // which these bytes are the serialization of.
    return reply.type(JSON_CONTENT_TYPE).send(body as unknown as Static<typeof Product>)
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
