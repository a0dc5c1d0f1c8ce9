import { clientSecretBasic, signInAtIdp } from '@ema/demo-kit'
import { topology } from '../topology.ts'
import { accounts } from './accounts.ts'

/** alice signs in at an IdP of the demo world (authorization code + PKCE, acme-agent): her ID token. */
export function signInAlice(idp: string): ReturnType<typeof signInAtIdp> {
  return signInAtIdp({
    idp,
    redirectUri: `${topology.urls.client}/callback`,
    clientId: accounts.idpClient.id,
    clientAuth: clientSecretBasic(accounts.idpClient.id, accounts.idpClient.secret),
    username: accounts.user.username,
    password: accounts.user.password,
  })
}
