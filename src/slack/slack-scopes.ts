/**
 * The bot scopes Plaudit asks for when a workspace installs it through OAuth: the same as
 * manifests/slack/manifest.yml's (a test holds them equal), each for what the adapter calls.
 */
export const SLACK_BOT_SCOPES: readonly string[] = [
  'commands',
  'chat:write',
  'chat:write.public',
  'im:write',
  'users:read',
  'users:read.email',
  'usergroups:read',
  // reaction_added and reaction_removed, for reactions that give points.
  'reactions:read',
];
