import { Uuid } from './common.js'
import { Pagination } from './pagination.js'
import { FieldError, Problem } from './problem.js'
import { Product } from './product.js'
import { Order, OrderItem } from './order.js'
import { User } from './user.js'
import { Tokens } from './auth.js'

/**
 * Schemas registered once with addSchema: referenced by $id from routes,
 * they appear in the OpenAPI document as named components.
 */
export const sharedSchemas = [Uuid, FieldError, Problem, Pagination, Product, OrderItem, Order, User, Tokens]
