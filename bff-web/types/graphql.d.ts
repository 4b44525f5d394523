/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** The sort orders of `search`. */
export type Sort =
  /** Alphabetical. */
  | 'NAME'
  /** Newest first. */
  | 'NEWEST'
  /** Cheapest first. */
  | 'PRICE_ASC'
  /** Most expensive first. */
  | 'PRICE_DESC'
  /** Best match first. */
  | 'RELEVANCE';

export type ProductCardFragment = { id: string, name: string, brand: string, href: string | null, mainImage: { alt: string, src: string, srcset: string, width: number, height: number } | null, offer: { price: string, listPrice: string | null, inStock: boolean } | null, rating: { average: number, count: number } | null };

export type ProductPageQueryVariables = Exact<{
  id: string | number;
}>;


export type ProductPageQuery = { product: { id: string, name: string, brand: string, category: string, description: Array<string> | null, features: Array<string> | null, specs: Array<{ name: string, value: string }> | null, variants: Array<{ sku: string, name: string }> | null, images: Array<{ alt: string, src: string, srcset: string, width: number, height: number }> | null, offer: { price: string, listPrice: string | null, priceCents: number, currency: string, discountPercent: number, stock: number, inStock: boolean, deliveryMinDays: number, deliveryMaxDays: number } | null, rating: { average: number, count: number, histogram: Array<number> } | null, reviews: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, author: string, rating: number, title: string, body: string, createdAt: string }> } | null, related: Array<{ id: string, name: string, brand: string, href: string | null, mainImage: { alt: string, src: string, srcset: string, width: number, height: number } | null, offer: { price: string, listPrice: string | null, inStock: boolean } | null, rating: { average: number, count: number } | null }> | null, breadcrumbs: Array<{ name: string, href: string | null }> } | null };

export type SearchPageQueryVariables = Exact<{
  q?: string | null | undefined;
  category?: string | null | undefined;
  sort?: Sort | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SearchPageQuery = { search: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, facets: { categories: Array<{ value: string, count: number }> }, products: Array<{ id: string, name: string, brand: string, href: string | null, mainImage: { alt: string, src: string, srcset: string, width: number, height: number } | null, offer: { price: string, listPrice: string | null, inStock: boolean } | null, rating: { average: number, count: number } | null }> } };
