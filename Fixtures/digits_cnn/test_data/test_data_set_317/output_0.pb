
BlogitsJ(ΨG”ΐGυbΐI‘AΏo«ΐ
XΑ°*Ατ‚mΑν,ΑV7Αυ7Α