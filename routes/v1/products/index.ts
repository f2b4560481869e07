import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams } from '../../../schemas/common.js'
import { Page } from '../../../schemas/pagination.js'
import { ConditionalGetHeaders, ConditionalWriteHeaders, Product, ProductCreate, ProductListQuery, ProductPatch } from '../../../schemas/product.js'
import { problems } from '../../../schemas/responses.js'
import { archiveProduct, createProduct, getProduct, listProducts, updateProduct } from '../../../src/products/service.js'

const ProductRef = Type.Ref(Product)
const NotModified = Type.Null({ description: 'Not modified: your copy (if-none-match) is current; no body' })
const NoContent = Type.Null({ description: 'Archived: gone from reads, kept for order history' })

const productRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/', {
    schema: {
      tags: ['products'],
      summary: 'List live products with search, price and stock filters, sorting and paging',
      querystring: ProductListQuery,
      response: { 200: Page(ProductRef), ...problems(400) }
    }
  }, async (request) => listProducts(fastify, request.query))

  fastify.get('/:id', {
    schema: {
      tags: ['products'],
      summary: 'Read one product; strong ETag, 304 on a matching if-none-match',
      params: IdParams,
      headers: ConditionalGetHeaders,
      response: { 200: ProductRef, 304: NotModified, ...problems(400, 404) }
    }
  }, async (request, reply) => {
    const { product, etag, notModified } = await getProduct(fastify, request.params.id, request.headers['if-none-match'])
    reply.header('etag', etag)
    if (notModified) return reply.code(304).send(null)
    return product
  })

  fastify.post('/', {
    config: { access: 'admin' },
    schema: {
      tags: ['products'],
      summary: 'Create a product (admin)',
      body: ProductCreate,
      response: { 201: ProductRef, ...problems(400, 415, [409, 'Another product already has this sku']) }
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
      params: IdParams,
      headers: ConditionalWriteHeaders,
      body: ProductPatch,
      response: {
        200: ProductRef,
        ...problems(400, 404, 415, [409, 'Another product already has this sku'], [412, 'if-match names an older version'])
      }
    }
  }, async (request, reply) => {
    const { product, etag } = await updateProduct(fastify, request.params.id, request.body, request.headers['if-match'])
    reply.header('etag', etag)
    return product
  })

  fastify.delete('/:id', {
    config: { access: 'admin' },
    schema: {
      tags: ['products'],
      summary: 'Archive a product (admin): it leaves the catalog, past orders keep their lines',
      params: IdParams,
      response: { 204: NoContent, ...problems(400, 404) }
    }
  }, async (request, reply) => {
    await archiveProduct(fastify, request.params.id)
    return reply.code(204).send(null)
  })
}

export default productRoutes
