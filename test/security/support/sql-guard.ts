/**
 * Static check for string-built SQL (OWASP API8 / CWE-89): every SQL text handed to `.query(` must be built
 * only from literals and module constants, so user input can reach the database only as a `$n` parameter.
 *
 * Allowed without a marker: string literals; `const` identifiers whose initializer is itself constant;
 * templates and `+` of constants; `COND ? 'A' : 'B'` between constants; `MAP[key]` / `MAP.key` where MAP is a
 * `const` object or array literal of constants (the key only picks one of the fixed fragments).
 * Anything else needs `// sql-safe: <reason>` on the line of the expression or the line above it.
 */
import ts from 'typescript'

export interface SqlFinding {
  file: string
  line: number
  text: string
  reason: string
}

export const SQL_SAFE_MARKER = /\/\/\s*sql-safe:\s*\S/
/** Uppercase SQL words: a template or concatenation containing one is treated as SQL wherever it appears. */
const SQL_KEYWORDS = /\b(SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|FROM|WHERE|ORDER\s+BY|VALUES|RETURNING|JOIN|GROUP\s+BY|LIMIT|OFFSET)\b/

interface Context {
  source: ts.SourceFile
  constants: Map<string, ts.Expression[]>
  parameters: Set<string>
  /** Files that forward their caller's SQL (the database adapters); a parameter is fine there. */
  forwardsParameters: boolean
}

function unwrap (node: ts.Expression): ts.Expression {
  let current = node
  while (ts.isParenthesizedExpression(current) || ts.isAsExpression(current) || ts.isSatisfiesExpression(current) || ts.isNonNullExpression(current) || ts.isTypeAssertionExpression(current)) {
    current = current.expression
  }
  return current
}

function collect (source: ts.SourceFile): Pick<Context, 'constants' | 'parameters'> {
  const constants = new Map<string, ts.Expression[]>()
  const parameters = new Set<string>()
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclarationList(node) && (node.flags & ts.NodeFlags.Const) !== 0) {
      for (const declaration of node.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.initializer !== undefined) {
          const list = constants.get(declaration.name.text) ?? []
          list.push(declaration.initializer)
          constants.set(declaration.name.text, list)
        }
      }
    }
    if (ts.isParameter(node) && ts.isIdentifier(node.name)) parameters.add(node.name.text)
    ts.forEachChild(node, visit)
  }
  visit(source)
  return { constants, parameters }
}

/** Why the expression is not a constant SQL fragment, or undefined when it is one. */
function nonConstantReason (node: ts.Expression, context: Context, seen: Set<string> = new Set()): string | undefined {
  const expression = unwrap(node)
  if (ts.isStringLiteral(expression) || ts.isNoSubstitutionTemplateLiteral(expression) || ts.isNumericLiteral(expression)) return undefined
  if (ts.isTemplateExpression(expression)) {
    for (const span of expression.templateSpans) {
      const reason = nonConstantReason(span.expression, context, seen)
      if (reason !== undefined) return reason
    }
    return undefined
  }
  if (ts.isBinaryExpression(expression) && expression.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    return nonConstantReason(expression.left, context, seen) ?? nonConstantReason(expression.right, context, seen)
  }
  if (ts.isConditionalExpression(expression)) {
    return nonConstantReason(expression.whenTrue, context, seen) ?? nonConstantReason(expression.whenFalse, context, seen)
  }
  if (ts.isIdentifier(expression)) return identifierReason(expression.text, context, seen)
  // pg's QueryConfig form: { text, values, name }: only the text matters here.
  if (ts.isObjectLiteralExpression(expression)) {
    const text = expression.properties.find((property) => property.name !== undefined && ts.isIdentifier(property.name) && property.name.text === 'text')
    if (text !== undefined && ts.isPropertyAssignment(text)) return nonConstantReason(text.initializer, context, seen)
    if (text !== undefined && ts.isShorthandPropertyAssignment(text)) return identifierReason(text.name.text, context, seen)
    return 'a query object without a `text` property'
  }
  // An adapter may wrap the text it forwards into a QueryConfig with a local helper: helper(sql, params, …).
  if (context.forwardsParameters && ts.isCallExpression(expression) && expression.arguments[0] !== undefined) {
    return nonConstantReason(expression.arguments[0], context, seen)
  }
  if (ts.isElementAccessExpression(expression) || ts.isPropertyAccessExpression(expression)) {
    const target = unwrap(expression.expression)
    if (ts.isIdentifier(target)) return tableReason(target.text, context, seen)
  }
  return `\`${expression.getText(context.source).slice(0, 60)}\` is not a constant`
}

function identifierReason (name: string, context: Context, seen: Set<string>): string | undefined {
  if (seen.has(name)) return undefined
  const initializers = context.constants.get(name)
  if (initializers === undefined) {
    if (context.forwardsParameters && context.parameters.has(name)) return undefined
    return `\`${name}\` is not a constant declared in this file`
  }
  const inner = new Set(seen).add(name)
  for (const initializer of initializers) {
    const reason = nonConstantReason(initializer, context, inner)
    if (reason !== undefined) return reason
  }
  return undefined
}

/** `ORDER_BY[sort]`: fine when ORDER_BY is a const object/array literal whose every value is constant. */
function tableReason (name: string, context: Context, seen: Set<string>): string | undefined {
  const initializers = context.constants.get(name)
  if (initializers === undefined) return `\`${name}\` is not a constant map declared in this file`
  for (const raw of initializers) {
    const initializer = unwrap(raw)
    const values = ts.isObjectLiteralExpression(initializer)
      ? initializer.properties.map((property) => ts.isPropertyAssignment(property) ? property.initializer : undefined)
      : ts.isArrayLiteralExpression(initializer) ? [...initializer.elements] : [undefined]
    for (const value of values) {
      if (value === undefined) return `\`${name}\` holds something other than fixed fragments`
      const reason = nonConstantReason(value, context, seen)
      if (reason !== undefined) return reason
    }
  }
  return undefined
}

function hasMarker (source: ts.SourceFile, node: ts.Node): boolean {
  const lines = source.getFullText().split('\n')
  const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line
  const end = source.getLineAndCharacterOfPosition(node.getEnd()).line
  for (let line = Math.max(0, start - 1); line <= end; line++) {
    if (SQL_SAFE_MARKER.test(lines[line] ?? '')) return true
  }
  return false
}

function isQueryCall (node: ts.Node): node is ts.CallExpression {
  return ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'query'
}

/** Looks like SQL: a template with substitutions, or a `+` concatenation, whose literal text holds an SQL keyword. */
function builtSql (node: ts.Node, source: ts.SourceFile): boolean {
  if (ts.isTemplateExpression(node)) return SQL_KEYWORDS.test(node.getText(source))
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    // Only the outermost `+` of a chain reports, so one concatenation is one finding.
    const parent = node.parent
    if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.PlusToken) return false
    return SQL_KEYWORDS.test(node.getText(source))
  }
  return false
}

export function findStringBuiltSql (file: string, text: string, options: { forwardsParameters?: boolean } = {}): SqlFinding[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const context: Context = { source, ...collect(source), forwardsParameters: options.forwardsParameters === true }
  const findings: SqlFinding[] = []
  const report = (node: ts.Node, reason: string): void => {
    if (hasMarker(source, node)) return
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1
    findings.push({ file, line, text: node.getText(source).replace(/\s+/g, ' ').slice(0, 120), reason })
  }
  const checked = new Set<ts.Node>()
  const visit = (node: ts.Node): void => {
    if (isQueryCall(node)) {
      const sql = node.arguments[0]
      if (sql !== undefined) {
        const text = unwrap(sql)
        checked.add(text)
        // The text of a QueryConfig object is this same finding, not a second one.
        if (ts.isObjectLiteralExpression(text)) {
          for (const property of text.properties) if (ts.isPropertyAssignment(property)) checked.add(unwrap(property.initializer))
        }
        const reason = nonConstantReason(sql, context)
        if (reason !== undefined) report(sql, `SQL passed to .query() is not constant: ${reason}`)
      }
    } else if (!checked.has(node) && builtSql(node, source) && ts.isExpression(node)) {
      const reason = nonConstantReason(node, context)
      if (reason !== undefined) report(node, `SQL text built with a non-constant part: ${reason}`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return findings
}

/** A source file that calls `.query(` anywhere (so it talks to the database). */
export function callsQuery (text: string): boolean {
  return /\.query\s*(<[^>]*>)?\s*\(/.test(text)
}
