/** The countries of origin the alert composer offers (ISO 3166-1 alpha-2), most frequent first. */
export const ORIGIN_COUNTRIES = ['CN', 'MM', 'CD', 'ID', 'AU', 'CL', 'ZA', 'RU', 'KR', 'VN', 'BR', 'IN', 'CA', 'PH', 'MY', 'US', 'JP'] as const;
