import { InvalidRequestError } from '@ema/tokens'
import type { Logger } from '@ema/server-kit'
import express, { type Response } from 'express'
import { z } from 'zod'
import { TASKS_API_SCOPES } from './config.ts'
import type { DelegatedAccessToken, DelegatedRequest } from './delegated-access-token.ts'
import { requireScope } from './require-scope.ts'
import { TaskLimitError, type TaskOwner, type TaskStore } from './task-store.ts'

const AddTaskRequest = z.object({ title: z.string().min(1).max(200) })

export interface TasksRoutesDeps {
  store: TaskStore
  now: () => Date
  log: Logger
}

/**
 * The API proper, behind `requireDelegatedAccessToken`:
 * - `GET /whoami` (tasks.read): `{ sub, actor, actors_chain, client_id, scope }` as this API sees the token;
 * - `GET /tasks` (tasks.read): `{ tasks }`, the user's tasks;
 * - `POST /tasks` (tasks.write) `{ "title": string }` (1–200 characters): 201 `{ task }`, recording
 *   `{ sub, actor, client_id, at }` (which actor acted for which user, OBO-13).
 */
export function tasksRoutes(deps: TasksRoutesDeps): express.Router {
  const router = express.Router()

  router.get('/whoami', requireScope(TASKS_API_SCOPES.READ), (req: DelegatedRequest, res) => {
    const d = delegationOf(req)
    send(res, 200, {
      sub: d.claims.sub,
      actor: d.actor,
      actors_chain: d.actorsChain,
      client_id: d.claims.client_id,
      scope: d.claims.scope ?? '',
    })
  })

  router.get('/tasks', requireScope(TASKS_API_SCOPES.READ), async (req: DelegatedRequest, res) => {
    send(res, 200, { tasks: await deps.store.list(ownerOf(delegationOf(req))) })
  })

  router.post(
    '/tasks',
    requireScope(TASKS_API_SCOPES.WRITE),
    express.json({ limit: '16kb' }),
    async (req: DelegatedRequest, res) => {
      const d = delegationOf(req)
      const parsed = AddTaskRequest.safeParse(req.body)
      if (!parsed.success)
        throw new InvalidRequestError('the body must be JSON {"title": string} with 1 to 200 characters')
      let task
      try {
        task = await deps.store.add(ownerOf(d), parsed.data.title, {
          sub: d.claims.sub,
          actor: d.actor,
          client_id: d.claims.client_id,
          at: deps.now().toISOString(),
        })
      } catch (error) {
        if (error instanceof TaskLimitError) throw new InvalidRequestError(error.message)
        throw error
      }
      // The audit line: who acted for whom. Never the token.
      deps.log.info('task added', {
        task_id: task.id,
        sub: d.claims.sub,
        actor: d.actor,
        actors_chain: d.actorsChain,
        client_id: d.claims.client_id,
        jti: d.claims.jti,
      })
      send(res, 201, { task })
    },
  )

  return router
}

function delegationOf(req: DelegatedRequest): DelegatedAccessToken {
  if (req.delegation === undefined) throw new Error('tasksRoutes is mounted without requireDelegatedAccessToken')
  return req.delegation
}

function ownerOf(d: DelegatedAccessToken): TaskOwner {
  return { iss: d.claims.iss, sub: d.claims.sub }
}

function send(res: Response, status: number, body: unknown): void {
  res.status(status).set('cache-control', 'no-store').json(body)
}
