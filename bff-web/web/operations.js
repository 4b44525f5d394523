// Generated from bff-web/graphql/operations/ by the contract test (UPDATE_GRAPHQL=1
// cargo test -p bff-web --test api graphql_safety::the_committed); do not edit.
// The page sends `query` with its hash: the server's manifest mode accepts exactly these.

/** The `ProductPage` operation. */
export const ProductPage = {
  name: 'ProductPage',
  sha256: 'c3169dc767097938fc819748cd798810b812d6790affff83c21efaedeb9cd565',
  query: "query ProductPage($id: ID!) {\n  product(id: $id) {\n    id\n    name\n    brand\n    category\n    description\n    features\n    specs { name value }\n    variants { sku name }\n    images { alt src srcset width height }\n    offer { price listPrice priceCents currency discountPercent stock inStock deliveryMinDays deliveryMaxDays }\n    rating { average count histogram }\n    reviews(first: 10) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id author rating title body createdAt }\n    }\n    related(first: 12) {\n      id\n      name\n      brand\n      href\n      mainImage { alt src srcset width height }\n      offer { price listPrice inStock }\n      rating { average count }\n    }\n    breadcrumbs { name href }\n  }\n}",
};

/** The `SearchPage` operation. */
export const SearchPage = {
  name: 'SearchPage',
  sha256: '75947d44655d419e382836db2f04383aa08d34f98f5da29db5b3fb2ea5613ecc',
  query: "query SearchPage($q: String, $category: String, $sort: Sort = RELEVANCE, $first: Int = 24, $after: String) {\n  search(q: $q, category: $category, sort: $sort, first: $first, after: $after) {\n    totalCount\n    pageInfo { hasNextPage endCursor }\n    facets { categories { value count } }\n    products {\n      id\n      name\n      brand\n      href\n      mainImage { alt src srcset width height }\n      offer { price listPrice inStock }\n      rating { average count }\n    }\n  }\n}",
};
