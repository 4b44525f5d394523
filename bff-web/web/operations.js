// Generated from bff-web/graphql/operations/ by the contract test (UPDATE_GRAPHQL=1
// cargo test -p bff-web --test api graphql_safety::the_committed); do not edit.
// The page sends `query` with its hash: the server's manifest mode accepts exactly these.

/** The `ProductPage` operation. */
export const ProductPage = {
  name: 'ProductPage',
  sha256: 'b1373634f9cfe1072d01fdbd0bf217249a7030be4d433a5cc62189f3ef1fadc3',
  query: "query ProductPage($id: ID!) {\n  product(id: $id) {\n    id\n    name\n    brand\n    category\n    description\n    features\n    specs { name value }\n    variants { sku name }\n    images { alt src srcset width height }\n    offer { price listPrice priceCents currency discountPercent stock inStock deliveryMinDays deliveryMaxDays }\n    rating { average count histogram }\n    reviews(first: 10) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id author rating title body createdAt }\n    }\n    related(first: 12) { ...ProductCard }\n    breadcrumbs { name href }\n  }\n}\n\nfragment ProductCard on Product {\n  id\n  name\n  brand\n  href\n  mainImage { alt src srcset width height }\n  offer { price listPrice inStock }\n  rating { average count }\n}",
};

/** The `SearchPage` operation. */
export const SearchPage = {
  name: 'SearchPage',
  sha256: 'c8e306670b3f1c01606a7e13fea2c462195ebf63d638de4ef16258290389a515',
  query: "query SearchPage($q: String, $category: String, $sort: Sort = RELEVANCE, $first: Int = 24, $after: String) {\n  search(q: $q, category: $category, sort: $sort, first: $first, after: $after) {\n    totalCount\n    pageInfo { hasNextPage endCursor }\n    facets { categories { value count } }\n    products { ...ProductCard }\n  }\n}\n\nfragment ProductCard on Product {\n  id\n  name\n  brand\n  href\n  mainImage { alt src srcset width height }\n  offer { price listPrice inStock }\n  rating { average count }\n}",
};
