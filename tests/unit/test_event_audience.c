/* The SALES_REP audience of an event payload: owner, creator, assignees; junk gives nobody. */
#include "tap.h"
#include "service/event_audience.h"

#define OWNER "6b0900000000000000000001"
#define CREATOR "6b0900000000000000000002"
#define ASSIGNEE "6b0900000000000000000003"
#define STRANGER "6b0900000000000000000004"

int main(void)
{
    event_audience a;
    event_audience_read("{\"contact\":{\"userId\":\"" OWNER "\",\"createdBy\":\"" CREATOR "\",\"assignees\":[\"" ASSIGNEE
                        "\",\"" OWNER "\"]}}",
                        &a);
    is_int(a.n, 3, "owner, creator and a new assignee; a repeated id counts once");
    ok(event_audience_has(&a, OWNER), "the owner sees it");
    ok(event_audience_has(&a, CREATOR), "the creator sees it");
    ok(event_audience_has(&a, ASSIGNEE), "an assignee sees it");
    ok(!event_audience_has(&a, STRANGER), "another user does not");

    event_audience_read("not json", &a);
    is_int(a.n, 0, "an unreadable payload has no audience");
    event_audience_read("{\"contact\":{\"userId\":\"nope\",\"assignees\":[5,null,\"" ASSIGNEE "\"]}}", &a);
    is_int(a.n, 1, "ids that are not ObjectIds are ignored");
    ok(event_audience_has(&a, ASSIGNEE), "the valid assignee is kept");
    return tap_done();
}
