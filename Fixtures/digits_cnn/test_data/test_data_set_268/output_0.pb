
BlogitsJ(жяБdZ}Б& mБв{ЁА.‰,Б“[IБк·А<'БЬx;AZЈuА