import { z } from 'zod/v4';
import { quoted } from '../recognition/wording.ts';

/** The most emoji an organization may name, so the settings stay readable. */
const MOST_REACTIONS = 20;

/** The most points one reaction may give. */
export const MOST_REACTION_POINTS = 100;

/** The longest grace period, in minutes: a day. */
export const LONGEST_REACTION_GRACE = 1440;

/** A Slack emoji short name as a reaction event carries it: lower-case, no colons or spaces. */
const emojiName = z
  .string()
  .trim()
  .transform((name) => name.replace(/^:|:$/g, '').toLowerCase())
  .pipe(z.string().regex(/^[a-z0-9_+'-]{1,100}(::skin-tone-[2-6])?$/));

const reactionPoints = z.int().min(1).max(MOST_REACTION_POINTS);

const graceMinutes = z.int().min(0).max(LONGEST_REACTION_GRACE);

/**
 * Checks the reaction settings a change names, writing what is valid into `next` and
 * each problem, one sentence each, into `problems`. The map replaces the list; an empty
 * one turns reactions off.
 */
export function checkReactionSettings(
  change: { reactionPoints?: unknown; reactionGraceMinutes?: unknown },
  next: { reactionPoints: Record<string, number>; reactionGraceMinutes: number },
  problems: string[],
): void {
  if (change.reactionPoints !== undefined) {
    const given = change.reactionPoints;
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      problems.push('The reactions that give points are emoji names, each with its points.');
    } else {
      const entries = Object.entries(given as Record<string, unknown>);
      const valid: Array<[string, number]> = [];
      for (const [name, amount] of entries) {
        const emoji = emojiName.safeParse(name);
        const worth = reactionPoints.safeParse(amount);
        if (!emoji.success) {
          problems.push(
            `A reaction is an emoji's name, like taco or star; ${quoted(name)} is not.`,
          );
        } else if (!worth.success) {
          problems.push(
            `A reaction gives a whole number of points from 1 to ${MOST_REACTION_POINTS}; ${quoted(amount)} for :${emoji.data}: is not.`,
          );
        } else valid.push([emoji.data, worth.data]);
      }
      if (valid.length > MOST_REACTIONS) {
        problems.push(
          `At most ${MOST_REACTIONS} reactions may give points; this names ${valid.length}.`,
        );
      }
      next.reactionPoints = Object.fromEntries(valid.sort(([a], [b]) => a.localeCompare(b)));
    }
  }
  if (change.reactionGraceMinutes !== undefined) {
    const minutes = graceMinutes.safeParse(change.reactionGraceMinutes);
    if (minutes.success) next.reactionGraceMinutes = minutes.data;
    else
      problems.push(
        `A removed reaction takes its points back within 0 to ${LONGEST_REACTION_GRACE} minutes; ${quoted(change.reactionGraceMinutes)} is not that.`,
      );
  }
}
