
BlogitsJ(ZΑHθfΑbδΑπΆoΐrP9Α’ΑΤώ·ΐΊ„ ΑbΛA=πΐ