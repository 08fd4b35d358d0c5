/* §5.5: bulk operations by query. */
#include "api/routes.h"

const http_route api_bulk_routes[] = {
    { NULL, NULL, NULL },
};
const size_t api_bulk_nroutes = 0;
