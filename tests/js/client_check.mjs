// The official JavaScript client (@supabase/supabase-js, default options) against the local
// stack, doing what the platform's web page does: sign in with a password, follow a job's log
// rows over realtime (protocol 2.0.0, the client's default), read the job with its embeds,
// refresh the session. Prints one JSON report on stdout; exits 1 with {"error"} on a failure.
// Run by tests/js/test_supabase_js.py, which passes the stack and the job in JOBLENS_JS_CHECK.

import { createClient } from '@supabase/supabase-js'

const env = JSON.parse(process.env.JOBLENS_JS_CHECK)
const report = {}

function waitFor(what, predicate, ms = 10000) {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const timer = setInterval(() => {
      if (predicate()) {
        clearInterval(timer)
        resolve()
      } else if (Date.now() - started > ms) {
        clearInterval(timer)
        reject(new Error(`timed out waiting for ${what}`))
      }
    }, 20)
  })
}

function check(result, what) {
  if (result.error) throw new Error(`${what}: ${JSON.stringify(result.error)}`)
  return result.data
}

async function main() {
  const supabase = createClient(env.url, env.anonKey) // the client's default options
  const signedIn = check(
    await supabase.auth.signInWithPassword({ email: env.email, password: env.password }),
    'sign in'
  )
  report.userId = signedIn.user.id

  const rows = []
  const system = []
  const states = []
  const subscribedCount = () =>
    system.filter((p) => p.message === 'Subscribed to PostgreSQL').length
  supabase
    .channel(`logs-${env.jobId}`)
    .on(
      'postgres_changes',
      { event: 'INSERT', schema: 'public', table: env.logsTable, filter: `job_id=eq.${env.jobId}` },
      (payload) => rows.push(payload.new)
    )
    .on('system', {}, (payload) => system.push(payload))
    .subscribe((status, err) => states.push(err ? `${status}: ${err.message}` : status))
  await waitFor('"Subscribed to PostgreSQL"', () => subscribedCount() >= 1)
  report.vsn = supabase.realtime.vsn

  // A runner (service role, through REST) writes the job's log rows.
  const runner = createClient(env.url, env.serviceKey)
  const insert = async (text) =>
    check(
      await runner
        .from(env.logsTable)
        .insert({ job_id: env.jobId, log_chunk: text, stream_type: 'STDOUT' }),
      'insert'
    )
  for (let i = 1; i <= env.rows; i++) await insert(`js ${i}\n`)
  await waitFor('the inserted rows', () => rows.length >= env.rows)

  // The web page's select: the job with its workers, vine, vineyard and cloud identity.
  report.job = check(
    await supabase.from('provision_jobs').select(env.select).eq('id', env.jobId).single(),
    'job select'
  )

  // A refresh: a new pair, handed to realtime, which subscribes again; rows keep coming.
  // (A second later: GoTrue's access tokens carry whole seconds, so one refreshed in the same
  // second as the last is the same token, which realtime takes for no change.)
  await new Promise((resolve) => setTimeout(resolve, 1100))
  const before = check(await supabase.auth.getSession(), 'session').session
  const after = check(await supabase.auth.refreshSession(), 'refresh').session
  report.rotated = after.refresh_token !== before.refresh_token
  report.newAccessToken = after.access_token !== before.access_token
  report.me = check(await supabase.auth.getUser(), 'user').user.id
  await waitFor('"Subscribed to PostgreSQL" after the refresh', () => subscribedCount() >= 2)
  await insert('after refresh\n')
  await waitFor('the row after the refresh', () => rows.length >= env.rows + 1)

  report.rows = rows.map((r) => r.log_chunk)
  report.system = system.map((p) => `${p.extension}: ${p.status}: ${p.message}`)
  report.states = [...states]
  report.left = await supabase.removeAllChannels() // phx_leave answered, then phx_close
  report.statesAfterLeave = states
}

main().then(
  () => {
    console.log(JSON.stringify(report))
    process.exit(0)
  },
  (error) => {
    console.log(JSON.stringify({ error: String(error && error.stack ? error.stack : error), report }))
    process.exit(1)
  }
)
