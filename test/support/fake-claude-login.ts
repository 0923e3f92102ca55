// Test helper: Claude's real OAuth token endpoint (https://platform.claude.com/v1/oauth/token) faked on loopback,
// for watching how Claude Code sessions refresh a shared login. The production CLI ignores USE_LOCAL_OAUTH, so it
// is reached the way a corporate proxy would be: HTTPS_PROXY sends every CONNECT to a TLS server whose certificate
// a test CA signed (NODE_EXTRA_CA_CERTS). Refresh tokens rotate and are single use, as Anthropic's are; the model
// API in front of FakeAnthropicApi accepts only access tokens this endpoint issued.
//
//   const login = await FakeClaudeLogin.start();   // login.env() → HTTPS_PROXY, NODE_EXTRA_CA_CERTS, ANTHROPIC_BASE_URL
//   login.grants                                    // every refresh: the token sent and whether it was accepted
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeAnthropicApi } from "./fake-anthropic-api.ts";

export interface Grant {
  sent: string;
  accepted: boolean;
}

const HOSTS = ["platform.claude.com", "api.anthropic.com", "claude.ai"];

function openssl(dir: string, ...args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
}

/** A CA and a server certificate for HOSTS, in a fresh temp folder. */
function makeCertificates(): string {
  const dir = mkdtempSync(join(tmpdir(), "fake-claude-login-"));
  const subj = (cn: string) => ["-subj", `/CN=${cn}`];
  openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    ...subj("test-ca"),
  );
  openssl(
    dir,
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "srv.key",
    "-out",
    "srv.csr",
    ...subj(HOSTS[0]!),
  );
  writeFileSync(
    join(dir, "ext.cnf"),
    `subjectAltName=${HOSTS.map((h) => `DNS:${h}`).join(",")}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  );
  openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "srv.pem",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
  );
  return dir;
}

export class FakeClaudeLogin {
  readonly grants: Grant[] = [];
  /** Bearer tokens of the model requests, in order. */
  readonly modelBearers: string[] = [];
  private valid = "rt-0";
  private generation = 0;
  private readonly issued = new Set<string>();

  private constructor(
    private readonly certDir: string,
    private readonly tls: ReturnType<typeof Bun.serve>,
    private readonly proxy: net.Server,
    private readonly api: ReturnType<typeof Bun.serve>,
    private readonly fake: FakeAnthropicApi,
  ) {}

  /** `delayMs`: how long a token answer takes (a slow endpoint widens any race between sessions). */
  static async start(delayMs = 1000): Promise<FakeClaudeLogin> {
    const certDir = makeCertificates();
    let self: FakeClaudeLogin | undefined;
    const tls = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      tls: { cert: Bun.file(join(certDir, "srv.pem")), key: Bun.file(join(certDir, "srv.key")) },
      fetch: async (req) => {
        if (!new URL(req.url).pathname.endsWith("/oauth/token")) return Response.json({}, { status: 404 });
        const answer = self!.grant(String(((await req.json()) as { refresh_token?: unknown }).refresh_token));
        await Bun.sleep(delayMs);
        return answer;
      },
    });
    const proxy = net.createServer((sock) => {
      sock.once("data", (head) => {
        if (!/^CONNECT /.test(head.toString())) return void sock.end("HTTP/1.1 400 Bad Request\r\n\r\n");
        const up = net.connect(tls.port!, "127.0.0.1", () => {
          sock.write("HTTP/1.1 200 Connection Established\r\n\r\n");
          sock.pipe(up);
          up.pipe(sock);
        });
        up.on("error", () => sock.destroy());
        sock.on("error", () => up.destroy());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const fake = new FakeAnthropicApi().start();
    const api = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async (req) => {
        const url = new URL(req.url);
        const bearer = (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");
        if (url.pathname === "/v1/messages") self!.modelBearers.push(bearer);
        if (!self!.issued.has(bearer)) {
          const error = { type: "authentication_error", message: "OAuth token has expired." };
          return Response.json({ type: "error", error }, { status: 401 });
        }
        const body = req.method === "POST" ? await req.arrayBuffer() : undefined;
        return fetch(`${fake.url}${url.pathname}${url.search}`, {
          method: req.method,
          headers: req.headers,
          body,
        });
      },
    });
    self = new FakeClaudeLogin(certDir, tls, proxy, api, fake);
    return self;
  }

  /** An expired login whose refresh token (rt-0) is still good, as `.credentials.json` holds it. */
  expiredCredentials(): string {
    const oauth = {
      accessToken: "at-0",
      refreshToken: "rt-0",
      expiresAt: Date.now() - 60_000,
      scopes: ["user:inference", "user:profile", "user:sessions:claude_code"],
      subscriptionType: "max",
    };
    return JSON.stringify({ claudeAiOauth: oauth });
  }

  /** The model API accepts `token` too (a `claude setup-token` token, which is never refreshed). */
  accept(token: string): void {
    this.issued.add(token);
  }

  /** What a `claude` process needs to meet this endpoint and the model API. */
  env(): Record<string, string> {
    const proxyUrl = `http://127.0.0.1:${(this.proxy.address() as net.AddressInfo).port}`;
    return {
      HTTPS_PROXY: proxyUrl,
      https_proxy: proxyUrl,
      NO_PROXY: "127.0.0.1,localhost",
      no_proxy: "127.0.0.1,localhost",
      NODE_EXTRA_CA_CERTS: join(this.certDir, "ca.pem"),
      ANTHROPIC_BASE_URL: `http://127.0.0.1:${this.api.port}`,
    };
  }

  async stop(): Promise<void> {
    this.tls.stop(true);
    this.api.stop(true);
    this.proxy.close();
    await this.fake.stop();
    rmSync(this.certDir, { recursive: true, force: true });
  }

  private grant(sent: string): Response {
    const accepted = sent === this.valid;
    this.grants.push({ sent, accepted });
    if (!accepted)
      return Response.json(
        { error: "invalid_grant", error_description: "Refresh token not found or invalid" },
        { status: 400 },
      );
    this.generation++;
    this.valid = `rt-${this.generation}`;
    this.issued.add(`at-${this.generation}`);
    return Response.json({
      access_token: `at-${this.generation}`,
      refresh_token: this.valid,
      expires_in: 28_800,
      scope: "user:inference user:profile user:sessions:claude_code",
      token_type: "Bearer",
    });
  }
}
