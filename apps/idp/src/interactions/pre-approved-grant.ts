import type { Grant, KoaContextWithOIDC } from 'oidc-provider'

/**
 * oidc-provider's `loadExistingGrant`: every client registered at this IdP was approved by the
 * enterprise's administrator, so the signed-in user is never asked for consent. The Grant covers
 * the OIDC scopes and claims of the current request (oidc-provider has already dropped scopes it
 * does not support). This is oidc-provider's documented "skip consent" recipe.
 */
export async function loadPreApprovedGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { client, session, provider } = ctx.oidc
  if (client === undefined || session?.accountId === undefined) return undefined

  const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId)
  const existing = grantId === undefined ? undefined : await provider.Grant.find(grantId)
  const grant =
    existing !== undefined && existing.accountId === session.accountId
      ? existing
      : new provider.Grant({ clientId: client.clientId, accountId: session.accountId })

  grant.addOIDCScope([...ctx.oidc.requestParamScopes])
  grant.addOIDCClaims([...ctx.oidc.requestParamClaims])
  await grant.save()
  return grant
}
