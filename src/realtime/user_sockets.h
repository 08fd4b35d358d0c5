/* How many connected sockets each user holds, for the per-user cap of Socket.IO. Not
 * thread-safe: the real-time loop owns its table. */
#ifndef CRM_REALTIME_USER_SOCKETS_H
#define CRM_REALTIME_USER_SOCKETS_H

typedef struct user_sockets user_sockets;

user_sockets *user_sockets_new(void);
void user_sockets_free(user_sockets *t);
unsigned user_sockets_count(const user_sockets *t, const char *user_id);
void user_sockets_add(user_sockets *t, const char *user_id);
void user_sockets_remove(user_sockets *t, const char *user_id);   /* one that was added */

#endif
