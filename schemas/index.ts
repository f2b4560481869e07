import { Uuid } from './common.js'
import { Pagination } from './pagination.js'
import { FieldError, Problem } from './problem.js'
import { User } from './user.js'
import { Tokens } from './auth.js'

/**
 * Schemas registered once with addSchema: referenced by $id from routes,
 * they appear in the OpenAPI document as named components.
 */
export const sharedSchemas = [Uuid, FieldError, Problem, Pagination, User, Tokens]
