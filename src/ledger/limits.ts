/** Most transfers one request may link (kudos to many recipients is two per recipient). */
export const MAX_TRANSFERS_PER_REQUEST = 200;
