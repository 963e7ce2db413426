
BlogitsJ(\¿4ÁS,RÁM™=Á¨/MAà³|ÁFí6Á<QOÁi¶&Á**þÀ„Á«À