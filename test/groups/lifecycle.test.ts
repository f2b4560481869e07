import t from 'tap'
import { runGroup } from './run-group.js'

// The files of this group (test/groups/members.ts), each a subtest named by its path, in this one process.
runGroup(t, import.meta.url)
