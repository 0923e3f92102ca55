// HTTP handlers for commands: create (stored, then pushed on the bus), read, and status updates by the target.
import { nanoid } from "nanoid";
import {
  type CommandStatus,
  CommandStatusRequest,
  CreateCommandRequest,
  SUPERVISOR_COMMAND_PREFIX,
  SUPERVISOR_TARGET,
  TERMINAL_COMMAND_STATUSES,
} from "../../protocol/index.ts";
import { actingAgent, isOperator } from "../auth/authenticate.ts";
import { OpaqueIdPath, parsePath, readJson } from "./body.ts";
import type { Handler, Relay } from "./context.ts";
import { forbidden, invalid, notFound, relayError } from "./errors.ts";
import { chargeCreate } from "./quota.ts";
import { assertJsonFits } from "./stored-size.ts";

/** Room in a command frame for everything but `params` (ids, type, target, status, times: under 1 KiB). */
const COMMAND_ENVELOPE_BYTES = 1024;

/** Commands only move forward; skipping ahead (e.g. pending → failed when a runner refuses) is allowed. */
const RANK: Record<CommandStatus, number> = { pending: 0, accepted: 1, running: 2, succeeded: 3, failed: 3 };

export const createCommand: Handler = async (req, call) => {
  chargeCreate(call);
  const { relay, principal } = call;
  const body = await readJson(req, CreateCommandRequest, relay.limits.jsonBodyBytes);
  const toSupervisor = body.target === SUPERVISOR_TARGET;
  if (toSupervisor !== body.type.startsWith(SUPERVISOR_COMMAND_PREFIX)) {
    throw invalid(
      toSupervisor
        ? `target '${SUPERVISOR_TARGET}' takes only ${SUPERVISOR_COMMAND_PREFIX}* commands, not '${body.type}'`
        : `${SUPERVISOR_COMMAND_PREFIX}* commands go to target '${SUPERVISOR_TARGET}', not to an agent`,
    );
  }
  // Any token may ask the supervisor: it decides by `from` (root, or an agent its team file allows).
  const targetAgent = toSupervisor ? SUPERVISOR_TARGET : await resolveTargetAgent(relay, body.target);
  // An operator (a person's token) may command any agent; an agent's token only its own.
  if (
    !toSupervisor &&
    principal.kind === "runtime" &&
    !isOperator(principal) &&
    targetAgent !== principal.claims.agentId
  ) {
    throw forbidden(`this token can only command its own agent '${principal.claims.agentId}'`);
  }
  if (toSupervisor && !relay.hub.hasSupervisor()) {
    throw relayError(
      "conflict",
      "no supervisor is connected to this relay (a team started with `agent-relay-runner up` runs one)",
    );
  }
  // The command is pushed on the bus, so its frame must fit the bus frame cap.
  const frameLimit = relay.limits.busFrameBytes - COMMAND_ENVELOPE_BYTES;
  assertJsonFits(JSON.stringify(body.params), frameLimit, "command params");
  // A registered agent that is offline still gets its command when it comes back; a target nobody answers for
  // would only wait out its timeout, so it is refused at once.
  if (!toSupervisor && !(await relay.store.agents.get(targetAgent))) {
    throw relayError("not_found", `no registered agent or runner answers to '${body.target}'`);
  }
  const command = await relay.store.commands.create(
    {
      id: nanoid(),
      type: body.type,
      target: body.target,
      targetAgent,
      from: actingAgent(principal),
      fromRole: principal.kind === "root" ? "root" : isOperator(principal) ? "operator" : "agent",
      params: body.params,
    },
    relay.clock.now(),
  );
  relay.hub.publishCommand(command, targetAgent);
  return Response.json(command);
};

/**
 * Root and operators read any command; an agent's token those its agent answers for or sent (the only ones it
 * could create).
 */
export const getCommand: Handler = async (req, { relay, principal }) => {
  const { command, targetAgent } = await requireCommand(relay, commandId(req));
  if (principal.kind === "runtime" && !isOperator(principal)) {
    const self = principal.claims.agentId;
    const mine = isForSupervisor(targetAgent) ? command.from === self : targetAgent === self;
    if (!mine) throw forbidden(`command ${command.id} is for agent '${targetAgent}', not this token's agent`);
  }
  return Response.json(command);
};

export const setCommandStatus: Handler = async (req, { relay, principal }) => {
  const id = commandId(req);
  const body = await readJson(req, CommandStatusRequest, relay.limits.jsonBodyBytes);
  const { command, targetAgent } = await requireCommand(relay, id);
  if (principal.kind === "runtime" && isForSupervisor(targetAgent)) {
    throw forbidden("only the supervisor (root token) may update a supervisor command");
  }
  if (principal.kind === "runtime" && principal.claims.agentId !== targetAgent) {
    throw forbidden(`only the command's target '${targetAgent}' may update it`);
  }
  if (command.status === body.status) return Response.json(command);
  if (TERMINAL_COMMAND_STATUSES.includes(command.status)) {
    throw relayError("conflict", `command ${id} already ${command.status}`);
  }
  if (RANK[body.status] < RANK[command.status]) {
    throw relayError("conflict", `command ${id} cannot go back from ${command.status} to ${body.status}`);
  }
  if (body.result !== undefined)
    assertJsonFits(JSON.stringify(body.result), relay.limits.jsonBodyBytes, "command result");
  await relay.store.commands.setStatus(id, body.status, body.result, body.error, relay.clock.now());
  return Response.json((await requireCommand(relay, id)).command);
};

/**
 * The agent answering for a target: a registered agent id as is; a runnerId becomes the registered agent that
 * said hello with it (a runner id belongs to one agent, see hello-rules.ts); anything unknown is returned as is
 * (and refused by createCommand). The command is then authorised, stored and delivered as that agent's, never by the free-text target.
 */
async function resolveTargetAgent(relay: Relay, target: string): Promise<string> {
  if (await relay.store.agents.get(target)) return target;
  return (await relay.store.agents.agentForComponent(target)) ?? target;
}

/** A stored command's target agent is `supervisor` only for a supervisor command (no agent may take that id). */
function isForSupervisor(targetAgent: string): boolean {
  return targetAgent === SUPERVISOR_TARGET;
}

function commandId(req: Parameters<Handler>[0]): string {
  return parsePath(req, OpaqueIdPath).id;
}

async function requireCommand(relay: Relay, id: string) {
  const found = await relay.store.commands.get(id);
  if (!found) throw notFound(`command '${id}'`);
  return found;
}
